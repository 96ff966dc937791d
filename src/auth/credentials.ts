import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets Intake hands out: 256 random bits behind a prefix that makes a leaked one easy to spot
 * in logs and secret scanners, and tells the guard which kind it is before any lookup.
 */
export const API_KEY_PREFIX = 'ik_';
export const UPLOAD_TOKEN_PREFIX = 'ut_';

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function generateUploadToken(): string {
  return UPLOAD_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Only the hash is stored. The secrets are 256-bit random, so a fast hash suffices and lookups stay indexed. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What a key list shows to tell keys apart: the prefix and four characters. */
export function displayPrefix(apiKey: string): string {
  return apiKey.slice(0, API_KEY_PREFIX.length + 4);
}

/** `Authorization: Bearer <secret>`, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match ? match[1]! : null;
}

/** Whether `Authorization: Bearer <secret>` carries exactly `secret`, compared in constant time. */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  const token = bearerToken(header);
  const want = createHash('sha256').update(secret).digest();
  return token !== null && timingSafeEqual(want, createHash('sha256').update(token).digest());
}
