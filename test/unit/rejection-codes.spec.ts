import { ErrorCode } from '../../src/common/errors';
import { REJECTION_CODES } from '../../workflows/contract';

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
