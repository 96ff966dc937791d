import { parseInstreamReply } from '../../src/scanning/clamd-reply';

describe('parseInstreamReply', () => {
  it('is clean only for a lone "stream: OK"', () => {
    expect(parseInstreamReply('stream: OK\0')).toEqual({ kind: 'clean' });
    expect(parseInstreamReply('stream: OK\n')).toEqual({ kind: 'clean' });
  });

  it('reads the signature of a finding', () => {
    expect(parseInstreamReply('stream: Eicar-Test-Signature FOUND\0')).toEqual({ kind: 'infected', signatures: ['Eicar-Test-Signature'] });
  });

  it('treats a limit heuristic as a finding, never as clean', () => {
    expect(parseInstreamReply('stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND\0')).toEqual({
      kind: 'infected',
      signatures: ['Heuristics.Limits.Exceeded.MaxFileSize'],
    });
  });

  it('lets any finding win over an OK next to it (clamscan would call this clean)', () => {
    expect(parseInstreamReply('stream: Win.Test.A FOUND\0stream: OK\0')).toEqual({ kind: 'infected', signatures: ['Win.Test.A'] });
  });

  it('collects every distinct signature of an all-match answer', () => {
    expect(parseInstreamReply('stream: A FOUND\0stream: B FOUND\0stream: A FOUND\0')).toEqual({ kind: 'infected', signatures: ['A', 'B'] });
  });

  it.each([
    ['an empty answer', ''],
    ['a size-limit error', 'INSTREAM size limit exceeded. ERROR\0'],
    ['a scan error', "stream: Can't allocate memory ERROR\0"],
    ['a read timeout', 'COMMAND READ TIMED OUT\0'],
    ['OK for something else', 'other: OK\0'],
    ['OK twice', 'stream: OK\0stream: OK\0'],
    ['OK with trailing words', 'stream: OK but not really\0'],
  ])('vouches for nothing on %s', (_what, answer) => {
    expect(parseInstreamReply(answer)).toMatchObject({ kind: 'inconclusive' });
  });
});
