import { lookup } from 'node:dns/promises';
import { AddressCategory, AddressPolicy } from './address-policy';
import { parseIp } from './ip-address';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Host name -> every address it has now. Injected so tests can stand in for DNS. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

/** A URL that passed every check, and the one address a request to it must connect to. */
export interface PinnedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

/**
 * The URL may not be requested. `message` is safe to show the tenant (it says nothing the tenant
 * did not give us); `logFields` carries the resolved addresses and category for operators only.
 * `permanent`: the URL itself is the problem (scheme, credentials, an IP literal), so retrying
 * cannot help; a host name whose DNS answer was refused may resolve elsewhere later.
 */
export class RefusedUrlError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly logFields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'RefusedUrlError';
  }
}

/** DNS gave no answer (no such host, resolver down): nothing was checked, nothing may connect. */
export class UnresolvableHostError extends Error {
  constructor(readonly logFields: Record<string, unknown>) {
    super('the host name could not be resolved');
    this.name = 'UnresolvableHostError';
  }
}

const NOT_PUBLIC = 'a private, loopback, link-local or otherwise non-public address';

/**
 * The check every outbound request to a tenant-given URL goes through: http(s) only, no
 * credentials, and a host that is (or resolves, once, to) public addresses only. The caller then
 * connects to the pinned address, so a second DNS answer can never swap in another one.
 */
export class UrlGuard {
  constructor(
    private readonly policy: AddressPolicy,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** What can be judged without DNS; throws a permanent RefusedUrlError. */
  checkUrl(raw: string | URL): URL {
    let url: URL;
    try {
      url = new URL(String(raw));
    } catch {
      throw new RefusedUrlError('it is not a valid URL', true);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RefusedUrlError('only http and https URLs are allowed', true);
    }
    if (url.username || url.password || /^[a-z]+:\/\/[^/?#]*@/i.test(String(raw).trim())) {
      throw new RefusedUrlError('credentials (user:password@) are not allowed in the URL', true);
    }
    if (!url.hostname) throw new RefusedUrlError('the URL has no host', true);
    const literal = parseIp(url.hostname);
    if (literal) {
      const verdict = this.policy.check(literal);
      if (!verdict.allowed) {
        throw new RefusedUrlError(`the host is ${NOT_PUBLIC}`, true, { category: verdict.category });
      }
    }
    return url;
  }

  /** checkUrl, then one DNS lookup; every address must pass, and the first is the one to use. */
  async pin(raw: string | URL): Promise<PinnedTarget> {
    const url = this.checkUrl(raw);
    const literal = parseIp(url.hostname);
    if (literal) {
      return { url, address: url.hostname.replace(/^\[|\]$/g, ''), family: literal.family };
    }
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.resolve(url.hostname);
    } catch (err) {
      throw new UnresolvableHostError({ host: url.hostname, dnsError: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
    if (addresses.length === 0) throw new UnresolvableHostError({ host: url.hostname, dnsError: 'no addresses' });
    const refused: Array<{ address: string; category: AddressCategory }> = [];
    for (const { address } of addresses) {
      const verdict = this.policy.check(address);
      if (!verdict.allowed) refused.push({ address, category: verdict.category });
    }
    // One non-public answer refuses the host: whichever address a client picks must be safe.
    if (refused.length) {
      throw new RefusedUrlError(`the host resolves to ${NOT_PUBLIC}`, false, { host: url.hostname, refused });
    }
    return { url, address: addresses[0]!.address, family: addresses[0]!.family };
  }
}
