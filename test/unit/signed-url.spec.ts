import { UrlSigner } from '../../src/outputs/signed-url';

describe('signed API links (HLS playlists)', () => {
  const signer = new UrlSigner('a-secret-of-at-least-thirty-two-characters');
  const now = new Date('2026-11-30T12:00:00Z');
  const path = '/v1/uploads/3f6c1e2a-8d4b-4c1e-9a57-2b8f0d6e4c11/hls/master.m3u8';
  const parts = (link: string) => Object.fromEntries(new URL(link, 'http://x').searchParams);

  it('verifies its own signature for exactly that path until it expires', () => {
    const { expires, signature } = parts(signer.sign(path, new Date(now.getTime() + 60_000)));
    expect(signer.verify(path, expires, signature, now)).toBe(true);
    expect(signer.verify(path.replace('master', '720p'), expires, signature, now)).toBe(false);
    expect(signer.verify(path, String(Number(expires) + 1), signature, now)).toBe(false);
    expect(signer.verify(path, expires, signature, new Date(now.getTime() + 61_000))).toBe(false);
  });

  it('refuses another secret, missing or malformed parameters', () => {
    const { expires, signature } = parts(signer.sign(path, new Date(now.getTime() + 60_000)));
    expect(new UrlSigner('another-secret-of-thirty-two-characters!').verify(path, expires, signature, now)).toBe(false);
    for (const [e, s] of [[undefined, signature], [expires, undefined], ['1e12', signature], [expires, `${signature}x`], [[expires], signature]]) {
      expect(signer.verify(path, e, s, now)).toBe(false);
    }
  });
});
