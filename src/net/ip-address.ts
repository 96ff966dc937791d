import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as a number, so ranges compare exactly whatever the spelling. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr {
  family: 4 | 6;
  /** The network address, host bits cleared. */
  network: bigint;
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

/**
 * Reads an IP literal in any spelling a resolver would accept: dotted quad, the inet_aton forms
 * (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`, mixed), IPv6 with or without brackets, zone
 * or embedded IPv4. WHATWG URL parsing already normalises most IPv4 spellings; this does not rely on
 * it. Returns undefined for anything that is not an address (a host name).
 */
export function parseIp(text: string): IpAddress | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.includes(':')) return parseIPv6(s);
  const v4 = parseLegacyIPv4(s.endsWith('.') ? s.slice(0, -1) : s);
  return v4 === undefined ? undefined : { family: 4, value: v4 };
}

/** `10.0.0.0/8`, `fc00::/7`, or a bare address (a /32 or /128). Throws on anything else. */
export function parseCidr(text: string): Cidr {
  const [addr, prefixText, ...rest] = text.trim().split('/');
  const ip = addr === undefined || rest.length ? undefined : parseIp(addr);
  if (!ip) throw new Error(`"${text}" is not an IP address or CIDR`);
  const bits = BITS[ip.family];
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) throw new Error(`"${text}" has an invalid prefix length`);
  return { family: ip.family, network: ip.value & mask(bits, prefix), prefix };
}

export function inCidr(ip: IpAddress, cidr: Cidr): boolean {
  return ip.family === cidr.family && (ip.value & mask(BITS[ip.family], cidr.prefix)) === cidr.network;
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** inet_aton: 1-4 parts, each decimal, octal (leading 0) or hex (0x); the last part fills the rest. */
function parseLegacyIPv4(s: string): bigint | undefined {
  if (isIPv4(s)) return s.split('.').reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
  const parts = s.split('.');
  if (parts.length > 4) return undefined;
  const nums: bigint[] = [];
  for (const part of parts) {
    let n: bigint;
    if (/^0x[0-9a-f]*$/i.test(part)) n = part.length === 2 ? 0n : BigInt(part);
    else if (/^0[0-7]+$/.test(part)) n = BigInt(`0o${part.slice(1)}`);
    else if (/^(0|[1-9]\d*)$/.test(part)) n = BigInt(part);
    else return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255n)) return undefined;
  const lastBits = BigInt(8 * (4 - nums.length));
  if (last >= 1n << lastBits) return undefined;
  return nums.reduce((acc, n, i) => acc | (n << BigInt(8 * (3 - i))), 0n) | last;
}

function parseIPv6(s: string): IpAddress | undefined {
  const zone = s.indexOf('%');
  const addr = zone === -1 ? s : s.slice(0, zone);
  if (!isIPv6(addr)) return undefined;
  let groups = addr;
  // An embedded dotted quad (::ffff:127.0.0.1) becomes its two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(groups);
  if (dotted) {
    const v4 = parseLegacyIPv4(dotted[1]!)!;
    groups = `${groups.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = groups.includes('::') ? groups.split('::') : [groups, undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - headParts.length - tailParts.length).fill('0');
  const all = [...headParts, ...fill, ...tailParts];
  if (all.length !== 8) return undefined;
  return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n) };
}
