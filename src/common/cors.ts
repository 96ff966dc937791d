import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';

/**
 * Browsers call the upload, token, Uppy and tus routes from tenants' pages. Only the configured
 * origins are answered (no `*`: requests carry Authorization). Preflights are cached for 10 min.
 */
export function corsOptions(origins: readonly string[]): CorsOptions {
  const allowed = new Set(origins);
  return {
    origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'X-Request-Id',
      'X-Requested-With',
      'X-HTTP-Method-Override',
      // tus 1.0
      'Tus-Resumable',
      'Upload-Length',
      'Upload-Offset',
      'Upload-Metadata',
      'Upload-Defer-Length',
      'Upload-Concat',
    ],
    exposedHeaders: [
      'X-Request-Id',
      'Location',
      'Retry-After',
      'RateLimit',
      'RateLimit-Policy',
      // tus 1.0
      'Tus-Resumable',
      'Tus-Version',
      'Tus-Extension',
      'Tus-Max-Size',
      'Upload-Offset',
      'Upload-Length',
      'Upload-Metadata',
      'Upload-Defer-Length',
      'Upload-Concat',
      'Upload-Expires',
    ],
    maxAge: 600,
  };
}

/** `https://a.example, http://localhost:5173` -> exact origins (scheme://host[:port]), or the bad entry. */
export function parseCorsOrigins(value: string): { origins: string[]; invalid: string | null } {
  const origins: string[] = [];
  for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return { origins, invalid: entry };
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry.replace(/\/$/, '')) {
      return { origins, invalid: entry };
    }
    origins.push(url.origin);
  }
  return { origins, invalid: null };
}
