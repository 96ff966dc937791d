import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { RedisLocker } from '../../src/tus/redis-locker';
import { testConfig } from '../support/stack';

/** Two lockers on their own connections stand for two API instances sharing one Redis. */
describe('RedisLocker (tus locks shared by API instances, on the real Redis)', () => {
  const lockers: RedisLocker[] = [];

  async function instance(options = {}): Promise<RedisLocker> {
    const redis = new Redis(testConfig().REDIS_URL);
    const locker = new RedisLocker(redis, redis.duplicate(), pino({ level: 'silent' }), options);
    await locker.start();
    lockers.push(locker);
    return locker;
  }

  afterAll(async () => {
    await Promise.all(lockers.map((l) => l.stop()));
  });

  it('gives a lock held on one instance to the other once the holder lets go when asked', async () => {
    const [a, b] = [await instance(), await instance()];
    const id = randomUUID();
    const held = a.newLock(id);
    let asked = 0;
    await held.lock(new AbortController().signal, async () => {
      asked += 1;
      await held.unlock(); // what tus does when a newer request wants the upload
    });
    const taken = b.newLock(id);
    await taken.lock(new AbortController().signal, () => undefined);
    expect(asked).toBeGreaterThan(0);
    await taken.unlock();
  });

  it('times out while the holder keeps the lock, and frees it when the holder dies (TTL)', async () => {
    const [a, b] = [await instance({ ttlMs: 1500 }), await instance({ acquireTimeoutMs: 300 })];
    const id = randomUUID();
    await a.newLock(id).lock(new AbortController().signal, () => undefined);
    await expect(b.newLock(id).lock(new AbortController().signal, () => undefined)).rejects.toMatchObject({ status_code: 500 });

    await a.stop(); // the holder's process is gone: no renewals, no unlock
    lockers.splice(lockers.indexOf(a), 1);
    const patient = await instance({ acquireTimeoutMs: 10_000 });
    await patient.newLock(id).lock(new AbortController().signal, () => undefined);
  });

  it('stops waiting when the request is aborted', async () => {
    const [a, b] = [await instance(), await instance()];
    const id = randomUUID();
    await a.newLock(id).lock(new AbortController().signal, () => undefined);
    const abort = new AbortController();
    const waiting = b.newLock(id).lock(abort.signal, () => undefined);
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ status_code: 500 });
  });
});
