import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';
import { TUS_CORS } from '../tus/tus-cors';

/**
 * Browsers call the upload, token, Uppy and tus routes from tenants' pages. Only the configured
 * origins are answered (no `*`: requests carry Authorization). Preflights are cached for 10 min.
 */
export function corsOptions(origins: readonly string[]): CorsOptions {
  const allowed = new Set(origins);
  return {
    origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'],
    // tus's own list (src/tus/tus-cors.ts) plus what the JSON routes need.
    allowedHeaders: [...new Set(['Authorization', 'Content-Type', 'X-Request-Id', ...TUS_CORS.allowedHeaders])],
    exposedHeaders: [...new Set(['X-Request-Id', 'Location', 'Retry-After', 'RateLimit', 'RateLimit-Policy', ...TUS_CORS.exposedHeaders])],
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
