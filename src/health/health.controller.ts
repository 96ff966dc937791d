import { Controller, Get, Inject, Res } from '@nestjs/common';
import { Client } from '@temporalio/client';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { ErrorCode } from '../common/errors';
import { ObjectStorage } from '../storage/object-storage';

type Check = 'ok' | string;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}

/** 200 once the API can reach its database, Temporal and object storage; 503 naming what is down. */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(Client) private readonly temporal: Client,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
  ) {}

  @Get()
  async health(@Res() res: Response): Promise<void> {
    const probe = (work: () => Promise<unknown>): Promise<Check> =>
      within(2000, work()).then(
        () => 'ok',
        (err: Error) => err.message,
      );
    const [database, temporal, storage] = await Promise.all([
      probe(() => this.db.query('SELECT 1')),
      probe(async () => {
        await this.temporal.connection.ensureConnected();
        await this.temporal.workflowService.getSystemInfo({});
      }),
      probe(() => this.storage.ping()),
    ]);
    const checks = { database, temporal, storage };
    const down = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
    if (down.length === 0) {
      res.status(200).json({ status: 'ok', checks });
    } else {
      res.status(503).json({
        error: { code: ErrorCode.DEPENDENCY_UNAVAILABLE, message: `Unavailable: ${down.join(', ')}` },
        status: 'unavailable',
        checks,
      });
    }
  }
}
