/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-08 and later): one list
 * item per limit that applies, named by the limit.
 *   RateLimit-Policy: "tenant";q=6000;w=60, "token";q=300;w=60
 *   RateLimit: "tenant";r=5999;t=60, "token";r=299;t=60
 */
export interface LimitState {
  /** `tenant` or `token`. */
  name: string;
  /** q: requests allowed per window. */
  quota: number;
  /** w: window length in seconds. */
  windowSeconds: number;
  /** r: requests left in the current window. */
  remaining: number;
  /** t: seconds until the window resets. */
  resetSeconds: number;
}

export function rateLimitHeaders(states: LimitState[]): Record<string, string> {
  return {
    'RateLimit-Policy': states.map((s) => `"${s.name}";q=${s.quota};w=${s.windowSeconds}`).join(', '),
    RateLimit: states.map((s) => `"${s.name}";r=${s.remaining};t=${s.resetSeconds}`).join(', '),
  };
}
