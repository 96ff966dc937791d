import type Redis from 'ioredis';
import pino from 'pino';
import type { Principal } from '../../src/auth/principal';
import { AppError } from '../../src/common/errors';
import type { AppConfig } from '../../src/config/config';
import { RequestRateLimiter } from '../../src/rate-limit/request-rate-limiter';

/**
 * The order of charging, on the per-instance counters (a Redis that is not ready sends every
 * limit there; the shared counters follow the same code path, see test/e2e/rate-limits.spec.ts).
 */
describe('RequestRateLimiter', () => {
  const config = {
    RATE_LIMIT_REQUESTS: 5,
    RATE_LIMIT_WINDOW_SECONDS: 60,
    RATE_LIMIT_TOKEN_REQUESTS: 3,
    RATE_LIMIT_TOKEN_WINDOW_SECONDS: 60,
    REDIS_KEY_PREFIX: 'unit',
  } as AppConfig;
  const notReady = { status: 'end' } as unknown as Redis;
  const tenant = { id: 'tenant-1', policy: {} };
  const tokenHolder = { kind: 'upload_token', tenant, token: { id: 'token-1' } } as unknown as Principal;
  const backend = { kind: 'api_key', tenant, apiKeyId: 'key-1' } as unknown as Principal;

  async function outcome(limiter: RequestRateLimiter, principal: Principal): Promise<string> {
    try {
      await limiter.consume(principal);
      return 'ok';
    } catch (err) {
      return err instanceof AppError ? `${err.status} ${err.code}` : String(err);
    }
  }

  it('charges the tenant only for requests the token let through', async () => {
    const limiter = new RequestRateLimiter(config, notReady, pino({ level: 'silent' }));
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push(await outcome(limiter, tokenHolder));
    expect(statuses).toEqual([...Array(3).fill('ok'), ...Array(17).fill('429 RATE_LIMITED')]);
    // The token spent 3 of the tenant's 5: its backend still has 2.
    expect([await outcome(limiter, backend), await outcome(limiter, backend), await outcome(limiter, backend)]).toEqual([
      'ok',
      'ok',
      '429 RATE_LIMITED',
    ]);
  });

  it('reports both limits on a refusal by the token, the tenant uncharged', async () => {
    const limiter = new RequestRateLimiter(config, notReady, pino({ level: 'silent' }));
    for (let i = 0; i < 3; i++) await limiter.consume(tokenHolder);
    const refused = await limiter.consume(tokenHolder).then(
      () => undefined,
      (err: AppError) => err,
    );
    expect(refused?.headers).toMatchObject({
      'RateLimit-Policy': '"tenant";q=5;w=60, "token";q=3;w=60',
      RateLimit: expect.stringMatching(/^"tenant";r=2;t=\d+, "token";r=0;t=\d+$/),
    });
  });
});
