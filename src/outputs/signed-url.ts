import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Links the API serves without an Authorization header (a player fetching playlists cannot send
 * one): the path and an expiry, signed with OUTPUT_URL_SECRET. Like a presigned S3 URL, whoever
 * holds the link may read that one resource until it expires, and nothing else.
 */
export class UrlSigner {
  constructor(private readonly secret: string) {}

  /** `path?expires=<unix s>&signature=<base64url HMAC>`. */
  sign(path: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `${path}?expires=${expires}&signature=${this.mac(path, expires)}`;
  }

  /** True only for an unexpired signature this secret made for exactly this path. */
  verify(path: string, expires: unknown, signature: unknown, now = new Date()): boolean {
    if (typeof expires !== 'string' || typeof signature !== 'string' || !/^\d{1,12}$/.test(expires)) return false;
    if (Number(expires) * 1000 <= now.getTime()) return false;
    const want = Buffer.from(this.mac(path, Number(expires)));
    const got = Buffer.from(signature);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  private mac(path: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${path}\n${expires}`).digest('base64url');
  }
}
