import { Controller, Get, Inject, Res } from '@nestjs/common';
import { Client } from '@temporalio/client';
import type { Response } from 'express';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ErrorCode } from '../common/errors';
import { LOGGER } from '../common/logger';
import { REDIS } from '../rate-limit/redis';
import { ObjectStorage } from '../storage/object-storage';
import { ApiTags } from '@nestjs/swagger';
import { Responds } from '../openapi/decorators';

type Check = 'up' | 'down';
type CheckName = 'database' | 'temporal' | 'storage';
/** Dependencies whose loss degrades the API without stopping it (see the class comment). */
type DegradingName = 'redis';

const PROBE_TIMEOUT_MS = 2000;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}

/**
 * 200 `{"status":"ok","checks":{"database":"up","temporal":"up","storage":"up"}}` once the API can
 * reach all three; otherwise 503 with `"status":"unavailable"`, the same `checks` (each "up" or
 * "down") and a DEPENDENCY_UNAVAILABLE error naming what is down. Why a probe failed (hosts, ports,
 * driver text) is logged when a check goes down, never answered.
 *
 * Redis is not a check: without it every route but tus still works (rate limits fall back to
 * per-instance counters), and every instance shares the one Redis, so failing health for it would
 * take the whole API out of its load balancer for what only tus needs. While it is unreachable the
 * answer stays 200, with `"status":"degraded"` and `"degraded":["redis"]`, so monitoring sees it.
 */
@ApiTags('Meta')
@Controller('health')
export class HealthController {
  private readonly down = new Set<CheckName | DegradingName>();

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(Client) private readonly temporal: Client,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Responds(200, 'Health', 'Database, Temporal and storage are reachable (`degraded` while Redis is not).')
  @Responds(503, 'Health', 'Something the API needs is down: `checks` says what.')
  @Get()
  async health(@Res() res: Response): Promise<void> {
    const [database, temporal, storage, redis] = await Promise.all([
      this.probe('database', () => this.db.query('SELECT 1')),
      this.probe('temporal', async () => {
        await this.temporal.connection.ensureConnected();
        await this.temporal.workflowService.getSystemInfo({});
      }),
      this.probe('storage', () => this.storage.ping()),
      this.probe('redis', () => this.redis.ping()),
    ]);
    const degraded: DegradingName[] = redis === 'down' ? ['redis'] : [];
    const alsoDegraded = degraded.length ? { degraded } : {};
    const checks: Record<CheckName, Check> = { database, temporal, storage };
    const down = (Object.keys(checks) as CheckName[]).filter((name) => checks[name] === 'down');
    if (down.length === 0) {
      res.status(200).json({ status: degraded.length ? 'degraded' : 'ok', checks, ...alsoDegraded });
    } else {
      res.status(503).json({
        status: 'unavailable',
        checks,
        ...alsoDegraded,
        error: { code: ErrorCode.DEPENDENCY_UNAVAILABLE, message: `Unavailable: ${down.join(', ')}` },
      });
    }
  }

  /** Logs on the transitions only, so a health poller does not flood the log during an outage. */
  private async probe(name: CheckName | DegradingName, work: () => Promise<unknown>): Promise<Check> {
    try {
      await within(PROBE_TIMEOUT_MS, work());
      if (this.down.delete(name)) this.logger.info({ check: name }, 'health check recovered');
      return 'up';
    } catch (err) {
      if (!this.down.has(name)) this.logger.warn({ check: name, err }, 'health check failed');
      this.down.add(name);
      return 'down';
    }
  }
}
