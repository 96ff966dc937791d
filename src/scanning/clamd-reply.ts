/**
 * What clamd's answer to INSTREAM means. Strict on purpose: only a lone "stream: OK" is clean, any
 * FOUND is a finding (heuristics such as Heuristics.Limits.Exceeded.* included), and everything
 * else (an ERROR, a size-limit complaint, silence, an OK next to something else) vouches for nothing.
 * clamscan's own parser is not used here: it accepts any text ending in ": OK", even after a FOUND.
 */
export type InstreamVerdict =
  | { kind: 'clean' }
  | { kind: 'infected'; signatures: string[] }
  | { kind: 'inconclusive'; answer: string };

const FOUND = /^stream: (.+) FOUND$/;

export function parseInstreamReply(raw: string): InstreamVerdict {
  // z-commands end each message with NUL; n-commands and some error paths use newlines.
  const messages = raw
    .split(/[\0\r\n]/)
    .map((m) => m.trim())
    .filter(Boolean);
  const signatures = [...new Set(messages.map((m) => FOUND.exec(m)?.[1]?.trim()).filter((s): s is string => Boolean(s)))];
  if (signatures.length > 0) return { kind: 'infected', signatures };
  if (messages.length === 1 && messages[0] === 'stream: OK') return { kind: 'clean' };
  return { kind: 'inconclusive', answer: messages.join(' | ') };
}
