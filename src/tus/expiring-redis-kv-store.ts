import type { KvStore } from '@tus/utils';
import type { Redis } from 'ioredis';

/**
 * The tus store's shared metadata cache (as @tus/utils' IoRedisKvStore) with entries that expire.
 * Deleting or expiring an upload runs in the worker, which has no Redis: it removes the `.info` the
 * entry caches, and the entry goes by itself. A miss only costs a reread of `.info`.
 */
export class ExpiringRedisKvStore<T> implements KvStore<T> {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  async get(key: string): Promise<T | undefined> {
    const value = await this.redis.get(this.prefix + key);
    return value ? (JSON.parse(value) as T) : undefined;
  }

  async set(key: string, value: T): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(value), 'EX', this.ttlSeconds);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}
