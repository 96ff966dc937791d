import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { errors } from '../common/errors';
import { redisFailure } from './tus-redis';

/**
 * A tus Locker shared by every API instance, so two of them behind one address never write the
 * same upload at once and either can resume what the other began.
 *
 * A lock is a Redis key set with NX and a short TTL that its holder renews, so a holder that dies
 * frees it within `ttlMs`. A request that finds the lock taken publishes the upload id; the
 * instance holding it calls its tus release callback (the stale request is wound down, as the
 * in-memory locker does when a client reconnects), and the waiter retries until it gets the lock
 * or `acquireTimeoutMs` passes.
 *
 * Redis unreachable (at boot too): nothing waits for it. Requests are refused with 503 (see
 * assertAvailable and redisFailure) and the release channel is subscribed whenever the connection
 * comes (back).
 */
const RELEASE_CHANNEL = 'intake:tus:lock-release';
const KEY_PREFIX = 'intake:tus:lock:';
const DELETE_IF_OURS = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND_IF_OURS = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface RedisLockerOptions {
  ttlMs?: number;
  acquireTimeoutMs?: number;
  retryMs?: number;
}

export class RedisLocker implements Locker {
  /** Release callbacks of the locks this process holds, by upload id. */
  readonly held = new Map<string, RequestRelease>();
  readonly ttlMs: number;
  readonly acquireTimeoutMs: number;
  readonly retryMs: number;

  constructor(
    readonly redis: Redis,
    private readonly subscriber: Redis,
    readonly logger: Logger,
    options: RedisLockerOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 30_000;
    this.retryMs = options.retryMs ?? 100;
  }

  async start(): Promise<void> {
    this.subscriber.on('message', (_channel: string, id: string) => {
      const release = this.held.get(id);
      if (release) Promise.resolve(release()).catch((err) => this.logger.warn({ err }, 'tus lock release failed'));
    });
    const subscribe = () => this.subscriber.subscribe(RELEASE_CHANNEL).catch((err) => this.logger.warn({ err }, 'could not subscribe to tus lock releases'));
    this.subscriber.on('ready', () => void subscribe());
    if (this.subscriber.status === 'ready') await subscribe();
  }

  async stop(): Promise<void> {
    // quit() would wait for a Redis that is not there; disconnect() also ends the reconnecting.
    await Promise.allSettled(
      [this.subscriber, this.redis].map((connection) => (connection.status === 'ready' ? connection.quit() : connection.disconnect())),
    );
  }

  /** Whether locks can be taken and release requests heard now. */
  get available(): boolean {
    return this.redis.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * Throws 503 DEPENDENCY_UNAVAILABLE while Redis is unreachable: checked before tus runs, so a
   * POST is refused before it creates an upload it could not serve.
   */
  assertAvailable(): void {
    if (!this.available) throw errors.dependencyUnavailable('unknown');
  }

  newLock(id: string): Lock {
    return new RedisLock(this, id);
  }

  askRelease(id: string): Promise<number> {
    return this.redis.publish(RELEASE_CHANNEL, id).catch((err) => Promise.reject(redisFailure(err)));
  }
}

class RedisLock implements Lock {
  private readonly token = randomUUID();
  private readonly key: string;
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly locker: RedisLocker,
    private readonly id: string,
  ) {
    this.key = KEY_PREFIX + id;
  }

  async lock(stop: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const { redis, ttlMs, acquireTimeoutMs, retryMs } = this.locker;
    const deadline = Date.now() + acquireTimeoutMs;
    let lastAsk = 0;
    for (;;) {
      if (stop.aborted) throw ERRORS.ERR_LOCK_TIMEOUT;
      const taken = await redis.set(this.key, this.token, 'PX', ttlMs, 'NX').catch((err) => Promise.reject(redisFailure(err)));
      if (taken === 'OK') break;
      // Ask the holder to let go, again every second in case it had not started its request yet.
      if (Date.now() - lastAsk > 1000) {
        lastAsk = Date.now();
        await this.locker.askRelease(this.id);
      }
      if (Date.now() > deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
      await sleep(retryMs, stop);
    }
    this.locker.held.set(this.id, requestRelease);
    this.renewal = setInterval(() => void this.renew(requestRelease), Math.floor(ttlMs / 3));
    this.renewal.unref();
  }

  private async renew(requestRelease: RequestRelease): Promise<void> {
    try {
      const kept = await this.locker.redis.eval(EXTEND_IF_OURS, 1, this.key, this.token, String(this.locker.ttlMs));
      if (kept === 1) return;
      // Lost (Redis restarted, or we stalled past the TTL): stop writing rather than race the new holder.
      this.locker.logger.warn({ lock: this.id }, 'tus lock lost; winding the request down');
      clearInterval(this.renewal);
      await requestRelease();
    } catch (err) {
      this.locker.logger.warn({ err, lock: this.id }, 'could not renew tus lock');
    }
  }

  async unlock(): Promise<void> {
    clearInterval(this.renewal);
    this.locker.held.delete(this.id);
    try {
      await this.locker.redis.eval(DELETE_IF_OURS, 1, this.key, this.token);
    } catch (err) {
      // The request's work is done; the lock's TTL frees it without us.
      this.locker.logger.warn({ err, lock: this.id }, 'could not release tus lock; it expires on its own');
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
