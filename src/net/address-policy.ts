import { Cidr, inCidr, IpAddress, parseCidr, parseIp } from './ip-address';

/** Why an address is refused; goes to logs, never into a tenant-visible message. */
export type AddressCategory =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared' // CGNAT 100.64/10
  | 'link-local'
  | 'unique-local'
  | 'multicast'
  | 'broadcast'
  | 'ipv4-embedded' // IPv4-mapped, -compatible, NAT64, 6to4, Teredo: reach an IPv4 address by another name
  | 'reserved';

export type AddressVerdict = { allowed: true; viaAllowList: boolean } | { allowed: false; category: AddressCategory };

const range = (cidr: string, category: AddressCategory) => ({ cidr: parseCidr(cidr), category });

/** IANA's IPv4 special-purpose registry, minus nothing: none of these is a tenant's public endpoint. */
const REFUSED_IPV4 = [
  range('0.0.0.0/8', 'unspecified'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'shared'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'), // includes the cloud metadata service 169.254.169.254
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved'),
  range('192.0.2.0/24', 'reserved'),
  range('192.88.99.0/24', 'reserved'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'reserved'),
  range('198.51.100.0/24', 'reserved'),
  range('203.0.113.0/24', 'reserved'),
  range('224.0.0.0/4', 'multicast'),
  range('255.255.255.255/32', 'broadcast'),
  range('240.0.0.0/4', 'reserved'),
];

/**
 * IPv6 is refused outside global unicast (2000::/3), which takes ::, ::1, IPv4-mapped and
 * -compatible, NAT64, ULA, link-local and multicast in one rule; these name the category for logs.
 */
const GLOBAL_UNICAST_IPV6 = parseCidr('2000::/3');
const NAMED_IPV6 = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('::ffff:0:0/96', 'ipv4-embedded'),
  range('::/96', 'ipv4-embedded'),
  range('64:ff9b::/96', 'ipv4-embedded'),
  range('64:ff9b:1::/48', 'ipv4-embedded'),
  range('fc00::/7', 'unique-local'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'link-local'), // deprecated site-local
  range('ff00::/8', 'multicast'),
];
/** Inside 2000::/3 but not someone's public host. */
const REFUSED_GLOBAL_IPV6 = [
  range('2001::/32', 'ipv4-embedded'), // Teredo
  range('2001::/23', 'reserved'), // IETF protocol assignments
  range('2001:db8::/32', 'reserved'), // documentation
  range('2002::/16', 'ipv4-embedded'), // 6to4
  range('3fff::/20', 'reserved'), // documentation
];

/** `WEBHOOK_ALLOWED_PRIVATE_HOSTS`: comma-separated addresses or CIDRs, as entries. */
export function splitAllowList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Why an allow-list entry is unusable, or undefined when it is an address or CIDR. */
export function allowListEntryError(entry: string): string | undefined {
  try {
    parseCidr(entry);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Decides whether an outbound request may connect to an address: only public unicast, except
 * what the operator allow-listed (local development and tests reaching 127.0.0.1).
 */
export class AddressPolicy {
  private readonly allowed: readonly Cidr[];

  /** `allowed`: addresses or CIDRs that may be reached although not public; throws on a malformed one. */
  constructor(allowed: readonly string[] = []) {
    this.allowed = allowed.map(parseCidr);
  }

  /** `address` is any IP spelling; a host name is refused as `reserved` (resolve it first). */
  check(address: string | IpAddress): AddressVerdict {
    const ip = typeof address === 'string' ? parseIp(address) : address;
    if (!ip) return { allowed: false, category: 'reserved' };
    if (this.allowed.some((cidr) => inCidr(ip, cidr))) return { allowed: true, viaAllowList: true };
    const category = refusedCategory(ip);
    return category ? { allowed: false, category } : { allowed: true, viaAllowList: false };
  }
}

function refusedCategory(ip: IpAddress): AddressCategory | undefined {
  if (ip.family === 4) return REFUSED_IPV4.find((r) => inCidr(ip, r.cidr))?.category;
  if (!inCidr(ip, GLOBAL_UNICAST_IPV6)) return NAMED_IPV6.find((r) => inCidr(ip, r.cidr))?.category ?? 'reserved';
  return REFUSED_GLOBAL_IPV6.find((r) => inCidr(ip, r.cidr))?.category;
}
