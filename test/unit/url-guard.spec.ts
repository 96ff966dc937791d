import { loadConfig } from '../../src/config/config';
import { AddressPolicy } from '../../src/net/address-policy';
import { parseIp } from '../../src/net/ip-address';
import { RefusedUrlError, Resolver, UnresolvableHostError, UrlGuard } from '../../src/net/url-guard';

const strict = new AddressPolicy();

describe('the address classifier', () => {
  // [spelling, category]: every one must be refused, whether given raw or through a URL's host.
  const refused: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['2130706433', 'loopback'], // decimal
    ['0x7f000001', 'loopback'], // hex
    ['0X7F000001', 'loopback'],
    ['0177.0.0.1', 'loopback'], // octal
    ['0177.0000.0000.0001', 'loopback'],
    ['127.1', 'loopback'], // short form
    ['127.0.1', 'loopback'],
    ['0x7f.1', 'loopback'], // mixed hex + short
    ['0x7f.0.0.01', 'loopback'], // mixed hex + octal
    ['017700000001', 'loopback'], // octal as one number
    ['127.0.0.1.', 'loopback'], // trailing dot
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['012.0.0.1', 'private'], // octal 10
    ['167772161', 'private'], // 10.0.0.1
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['0xc0a80101', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['169.254.169.254', 'link-local'], // cloud metadata
    ['0xa9fea9fe', 'link-local'],
    ['2852039166', 'link-local'],
    ['0251.0376.0251.0376', 'link-local'],
    ['169.254.43518', 'link-local'], // 169.254.169.254, short form
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['[::]', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'ipv4-embedded'],
    ['::ffff:7f00:1', 'ipv4-embedded'],
    ['0:0:0:0:0:ffff:7f00:0001', 'ipv4-embedded'],
    ['::ffff:8.8.8.8', 'ipv4-embedded'], // a public IPv4 by another name is still refused
    ['::127.0.0.1', 'ipv4-embedded'], // IPv4-compatible
    ['::7f00:1', 'ipv4-embedded'],
    ['::169.254.169.254', 'ipv4-embedded'],
    ['64:ff9b::127.0.0.1', 'ipv4-embedded'], // NAT64
    ['2002:7f00:1::', 'ipv4-embedded'], // 6to4
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'ipv4-embedded'], // Teredo
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'], // discard-only
  ];

  it.each(refused)('refuses %s (%s)', (spelling, category) => {
    expect(strict.check(spelling)).toEqual({ allowed: false, category });
  });

  it.each(refused)('refuses %s after URL parsing too', (spelling, category) => {
    const host = spelling.includes(':') && !spelling.startsWith('[') ? `[${spelling}]` : spelling;
    let hostname: string;
    try {
      hostname = new URL(`http://${host}/`).hostname;
    } catch {
      return; // WHATWG rejects it outright (zone ids): nothing could connect to it
    }
    expect(strict.check(hostname)).toEqual({ allowed: false, category });
  });

  const allowed = ['8.8.8.8', '1.1.1.1', '134744072' /* 8.8.8.8 */, '0x08080808', '93.184.215.14', '100.63.255.255',
    '100.128.0.0', '172.15.255.255', '172.32.0.0', '169.253.255.255', '223.255.255.255',
    '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '[2001:4860:4860::8888]'];
  it.each(allowed)('allows the public address %s', (spelling) => {
    expect(strict.check(spelling)).toEqual({ allowed: true, viaAllowList: false });
  });

  it('refuses what is not an address at all (a host name must be resolved first)', () => {
    for (const notIp of ['localhost', 'example.com', '1.2.3.4.5', '256.0.0.1', '0x1.0x1000000', '08.0.0.1', '1.2.3.0x100', '']) {
      expect(strict.check(notIp).allowed).toBe(false);
    }
  });

  it('reads every spelling of the same address as the same number', () => {
    const loopback = parseIp('127.0.0.1')!.value;
    for (const s of ['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '127.0.1', '0x7f.1', '0x7f.0.0.01']) {
      expect(parseIp(s)).toEqual({ family: 4, value: loopback });
    }
    expect(parseIp('::ffff:127.0.0.1')).toEqual(parseIp('::ffff:7f00:1'));
  });

  describe('with an allow-list', () => {
    const policy = new AddressPolicy(['127.0.0.1/32', '10.1.0.0/16', 'fd00::5']);

    it.each(['127.0.0.1', '2130706433', '0x7f000001', '127.1', '10.1.2.3', 'fd00::5'])('allows the listed %s', (s) => {
      expect(policy.check(s)).toEqual({ allowed: true, viaAllowList: true });
    });

    it.each([
      ['127.0.0.2', 'loopback'],
      ['10.2.0.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'ipv4-embedded'], // the exception is for the IPv4 address as listed
      ['fd00::6', 'unique-local'],
    ])('still refuses the unlisted %s', (s, category) => {
      expect(policy.check(s)).toEqual({ allowed: false, category });
    });

    it('is read from WEBHOOK_ALLOWED_PRIVATE_HOSTS, empty by default, and rejects malformed entries', () => {
      expect(loadConfig({}).WEBHOOK_ALLOWED_PRIVATE_HOSTS).toEqual([]);
      expect(loadConfig({ WEBHOOK_ALLOWED_PRIVATE_HOSTS: ' 127.0.0.1/32 , ::1 ' }).WEBHOOK_ALLOWED_PRIVATE_HOSTS).toEqual([
        '127.0.0.1/32',
        '::1',
      ]);
      expect(() => loadConfig({ WEBHOOK_ALLOWED_PRIVATE_HOSTS: 'localhost' })).toThrow(/WEBHOOK_ALLOWED_PRIVATE_HOSTS/);
      expect(() => loadConfig({ WEBHOOK_ALLOWED_PRIVATE_HOSTS: '10.0.0.0/33' })).toThrow(/WEBHOOK_ALLOWED_PRIVATE_HOSTS/);
    });
  });
});

describe('the URL guard', () => {
  /** A stand-in for DNS that records every question. */
  function fakeDns(answers: Record<string, string[]>) {
    const asked: string[] = [];
    const resolve: Resolver = async (host) => {
      asked.push(host);
      const addresses = answers[host];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    return { resolve, asked };
  }

  async function refusal(guard: UrlGuard, url: string): Promise<RefusedUrlError> {
    const err = await guard.pin(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedUrlError);
    return err as RefusedUrlError;
  }

  it.each([
    ['ftp://example.com/hook', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['gopher://example.com', /only http and https/],
    ['javascript:alert(1)', /only http and https/],
    ['http://user:pass@example.com/hook', /credentials/],
    ['http://user@example.com/hook', /credentials/],
    ['http://@example.com/hook', /credentials/],
    ['https://example.com\\@127.0.0.1/', /credentials/],
    ['not a url', /not a valid URL/],
    ['http://127.0.0.1:8080/hook', /non-public/],
    ['http://0x7f000001/', /non-public/],
    ['http://2130706433/', /non-public/],
    ['http://0177.0.0.1/', /non-public/],
    ['http://127.1/', /non-public/],
    ['http://[::ffff:127.0.0.1]/', /non-public/],
    ['http://[::1]/', /non-public/],
    ['http://169.254.169.254/latest/meta-data', /non-public/],
  ])('refuses %s permanently, without asking DNS', async (url, reason) => {
    const dns = fakeDns({});
    const err = await refusal(new UrlGuard(strict, dns.resolve), url);
    expect(err.message).toMatch(reason);
    expect(err.permanent).toBe(true);
    expect(dns.asked).toEqual([]);
  });

  it('refuses a host name that resolves to a private address, retryably, and keeps the address out of the message', async () => {
    const dns = fakeDns({ 'hooks.example.com': ['93.184.215.14', '10.0.0.7'] });
    const err = await refusal(new UrlGuard(strict, dns.resolve), 'https://hooks.example.com/in');
    expect(err.permanent).toBe(false);
    expect(err.message).toBe('the host resolves to a private, loopback, link-local or otherwise non-public address');
    expect(err.logFields).toEqual({ host: 'hooks.example.com', refused: [{ address: '10.0.0.7', category: 'private' }] });
  });

  it('pins the one address DNS gave, asking DNS exactly once', async () => {
    const dns = fakeDns({ 'hooks.example.com': ['93.184.215.14'] });
    const target = await new UrlGuard(strict, dns.resolve).pin('https://hooks.example.com/in?x=1');
    expect(target).toMatchObject({ address: '93.184.215.14', family: 4 });
    expect(target.url.href).toBe('https://hooks.example.com/in?x=1');
    expect(dns.asked).toEqual(['hooks.example.com']);
  });

  it('says when a host does not resolve, and never pins anything', async () => {
    const err = await new UrlGuard(strict, fakeDns({}).resolve).pin('https://nowhere.invalid/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnresolvableHostError);
  });

  it('lets allow-listed private addresses through, as IP literals or DNS answers', async () => {
    const dns = fakeDns({ 'sink.local': ['127.0.0.1'] });
    const guard = new UrlGuard(new AddressPolicy(['127.0.0.1/32']), dns.resolve);
    await expect(guard.pin('http://127.0.0.1:3999/webhooks')).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(guard.pin('http://sink.local:3999/webhooks')).resolves.toMatchObject({ address: '127.0.0.1' });
    expect((await refusal(guard, 'http://127.0.0.2/')).permanent).toBe(true);
  });
});
