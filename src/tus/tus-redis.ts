import { ReplyError } from 'ioredis';
import { errors } from '../common/errors';
import { ExpiringRedisKvStore } from './expiring-redis-kv-store';

/**
 * tus keeps its locks and shared upload info in Redis, so while Redis is unreachable tus cannot
 * serve: a connection failure becomes 503 DEPENDENCY_UNAVAILABLE (the catalogue body, via the tus
 * endpoint's refusal mapping). An answer Redis did give (ReplyError) is a bug and stays one.
 */
export function redisFailure(err: unknown): unknown {
  if (err instanceof ReplyError) return err;
  const unavailable = errors.dependencyUnavailable('unknown');
  unavailable.cause = err; // logged with the refusal, never answered
  return unavailable;
}

/** The tus store's shared cache of upload info (entries expire), failing as redisFailure says. */
export class TusInfoCache<T> extends ExpiringRedisKvStore<T> {
  override async get(key: string): Promise<T | undefined> {
    return super.get(key).catch((err) => Promise.reject(redisFailure(err)));
  }

  override async set(key: string, value: T): Promise<void> {
    return super.set(key, value).catch((err) => Promise.reject(redisFailure(err)));
  }

  override async delete(key: string): Promise<void> {
    return super.delete(key).catch((err) => Promise.reject(redisFailure(err)));
  }
}
