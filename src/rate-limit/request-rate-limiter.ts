import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Principal } from '../auth/principal';
import { errors } from '../common/errors';
import { LOGGER } from '../common/logger';
import { AppConfig, CONFIG } from '../config/config';
import { rateLimitHeaders } from './rate-limit-headers';
import { REDIS } from './redis';

interface Limit {
  name: 'tenant' | 'token';
  key: string;
  points: number;
  durationSeconds: number;
}

interface Outcome {
  allowed: boolean;
  res: RateLimiterRes;
}

/** While Redis is unreachable, this often at most do we say so. */
const OUTAGE_LOG_INTERVAL_MS = 30_000;

/**
 * Requests per window, per tenant (its policy's rateLimit, else the platform default) and per
 * upload token, counted in Redis so every API instance shares the counters (fixed windows,
 * rate-limiter-flexible's atomic Lua scripts).
 *
 * Redis down: each instance falls back to counting in its own memory and logs a warning. Limits
 * then hold per instance rather than globally (N instances allow up to N times the limit), but the
 * API stays available and a single client still cannot flood one instance.
 *
 * One entry point for every route: the Nest interceptor and the tus mount both call consume().
 */
@Injectable()
export class RequestRateLimiter {
  private readonly shared = new Map<string, RateLimiterAbstract>();
  private readonly local = new Map<string, RateLimiterMemory>();
  private lastOutageLog = 0;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Counts one request of this principal. Returns the RateLimit headers for the response, or
   * throws 429 RATE_LIMITED (with Retry-After and the same headers) when a limit is exceeded.
   *
   * The token is charged first and the tenant only for requests its token let through: the
   * counters also grow on refused requests, so charging both at once would let one leaked token,
   * long past its own limit, spend the whole tenant's budget and lock out its backend. This way a
   * token spends at most its own limit of the tenant's requests per window.
   */
  async consume(principal: Principal): Promise<Record<string, string>> {
    const [tenant, token] = this.limitsFor(principal);
    const tokenResult = token ? await this.consumeOne(token) : undefined;
    const tenantResult = tokenResult && !tokenResult.allowed ? await this.peek(tenant) : await this.consumeOne(tenant);
    const checked: Array<[Limit, Outcome]> = [[tenant, tenantResult]];
    if (token && tokenResult) checked.push([token, tokenResult]);

    const headers = rateLimitHeaders(
      checked.map(([limit, { res }]) => ({
        name: limit.name,
        quota: limit.points,
        windowSeconds: limit.durationSeconds,
        remaining: Math.max(0, res.remainingPoints),
        resetSeconds: Math.max(0, Math.ceil(res.msBeforeNext / 1000)),
      })),
    );
    const exceeded = checked.filter(([, outcome]) => !outcome.allowed).map(([, outcome]) => outcome);
    if (exceeded.length) {
      // At least one second: "Retry-After: 0" invites an immediate retry inside the same window.
      const retryAfter = Math.max(1, ...exceeded.map((r) => Math.ceil(r.res.msBeforeNext / 1000)));
      throw errors.rateLimited(retryAfter, headers);
    }
    return headers;
  }

  /** The tenant's limit, then the token's when an upload token is asking. */
  private limitsFor(principal: Principal): [Limit, Limit?] {
    const policy = principal.tenant.policy.rateLimit;
    const limits: [Limit, Limit?] = [
      {
        name: 'tenant',
        key: principal.tenant.id,
        points: policy?.requests ?? this.config.RATE_LIMIT_REQUESTS,
        durationSeconds: policy?.windowSeconds ?? this.config.RATE_LIMIT_WINDOW_SECONDS,
      },
    ];
    if (principal.kind === 'upload_token') {
      limits.push({
        name: 'token',
        key: principal.token.id,
        points: this.config.RATE_LIMIT_TOKEN_REQUESTS,
        durationSeconds: this.config.RATE_LIMIT_TOKEN_WINDOW_SECONDS,
      });
    }
    return limits;
  }

  private async consumeOne(limit: Limit): Promise<Outcome> {
    try {
      return { allowed: true, res: await this.sharedLimiter(limit).consume(limit.key) };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { allowed: false, res: err };
      this.reportOutage(err);
    }
    try {
      return { allowed: true, res: await this.localLimiter(limit).consume(limit.key) };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { allowed: false, res: err };
      throw err;
    }
  }

  /** Where a limit stands, without charging it (for the headers of a request refused by its token). */
  private async peek(limit: Limit): Promise<Outcome> {
    let res: RateLimiterRes | null;
    try {
      res = await this.sharedLimiter(limit).get(limit.key);
    } catch (err) {
      this.reportOutage(err);
      res = await this.localLimiter(limit).get(limit.key);
    }
    res ??= new RateLimiterRes(limit.points, limit.durationSeconds * 1000, 0);
    // Full already: the tenant would refuse this request too, so its reset counts for Retry-After.
    return { allowed: res.consumedPoints < limit.points, res };
  }

  /**
   * One limiter per (kind, quota, window): a policy change starts fresh counters under a new key
   * prefix rather than reinterpreting old ones.
   */
  private sharedLimiter(limit: Limit): RateLimiterAbstract {
    const id = `${limit.name}:${limit.points}:${limit.durationSeconds}`;
    let limiter = this.shared.get(id);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${this.config.REDIS_KEY_PREFIX}:rl:${id}`,
        points: limit.points,
        duration: limit.durationSeconds,
        // Fail fast to the local fallback instead of queueing behind a reconnect.
        rejectIfRedisNotReady: true,
      });
      this.shared.set(id, limiter);
    }
    return limiter;
  }

  private localLimiter(limit: Limit): RateLimiterMemory {
    const id = `${limit.name}:${limit.points}:${limit.durationSeconds}`;
    let limiter = this.local.get(id);
    if (!limiter) {
      limiter = new RateLimiterMemory({ keyPrefix: id, points: limit.points, duration: limit.durationSeconds });
      this.local.set(id, limiter);
    }
    return limiter;
  }

  private reportOutage(err: unknown): void {
    const now = Date.now();
    if (now - this.lastOutageLog < OUTAGE_LOG_INTERVAL_MS) return;
    this.lastOutageLog = now;
    this.logger.warn({ err }, 'rate limiting falls back to per-instance counters: redis is unavailable');
  }
}
