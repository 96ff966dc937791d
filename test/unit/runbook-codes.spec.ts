import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../src/common/errors';
import { REJECTION_CODES } from '../../workflows/contract';

/** docs/runbook.md says what every code means and what to do: a new code without a line there fails here. */
describe('the runbook', () => {
  const runbook = readFileSync(join(__dirname, '..', '..', 'docs', 'runbook.md'), 'utf8');
  const documented = new Set([...runbook.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]));

  it('has a table row for every code of the error catalogue and every rejection code', () => {
    const codes = [...new Set([...Object.values(ErrorCode), ...REJECTION_CODES])];
    expect(codes.filter((code) => !documented.has(code))).toEqual([]);
    expect(codes.length).toBeGreaterThan(40);
  });

  it('documents no code the catalogue does not have', () => {
    const known = new Set<string>(Object.values(ErrorCode));
    expect([...documented].filter((code) => !known.has(code!))).toEqual([]);
  });
});
