import { rateLimitHeaders } from '../../src/rate-limit/rate-limit-headers';

describe('RateLimit headers', () => {
  it('lists one item per limit, in the IETF draft syntax', () => {
    expect(
      rateLimitHeaders([
        { name: 'tenant', quota: 6000, windowSeconds: 60, remaining: 5999, resetSeconds: 60 },
        { name: 'token', quota: 300, windowSeconds: 60, remaining: 0, resetSeconds: 12 },
      ]),
    ).toEqual({
      'RateLimit-Policy': '"tenant";q=6000;w=60, "token";q=300;w=60',
      RateLimit: '"tenant";r=5999;t=60, "token";r=0;t=12',
    });
  });
});
