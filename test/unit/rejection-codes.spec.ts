import { ErrorCode } from '../../src/common/errors';
import { REJECTION_CODES } from '../../workflows/contract';
import { rejectionForFinding } from '../../activities/ingest';

describe('rejection codes', () => {
  it('are all catalogued error codes', () => {
    const catalogue = new Set<string>(Object.values(ErrorCode));
    expect([...REJECTION_CODES].filter((code) => !catalogue.has(code))).toEqual([]);
  });

  it('never include codes that mean "try again" or "it broke"', () => {
    for (const code of [ErrorCode.PROCESSING_FAILED, ErrorCode.DEPENDENCY_UNAVAILABLE, ErrorCode.INTERNAL]) {
      expect(REJECTION_CODES.has(code)).toBe(false);
    }
  });
});

describe('what a clamd finding means', () => {
  it.each([
    ['Eicar-Test-Signature', 'INFECTED'],
    ['Win.Trojan.Agent-123', 'INFECTED'],
    ['Heuristics.Limits.Exceeded.MaxFileSize', 'SCAN_LIMIT_EXCEEDED'],
    ['Heuristics.Encrypted.PDF', 'ENCRYPTED_CONTENT'],
    ['Heuristics.Encrypted.Zip', 'ENCRYPTED_CONTENT'],
  ])('%s -> %s', (signature, code) => {
    expect(rejectionForFinding(signature)).toBe(code);
    expect(REJECTION_CODES.has(code)).toBe(true);
  });
});
