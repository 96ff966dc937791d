import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER } from '../common/logger';
import { AppConfig, CONFIG } from '../config/config';
import { IntakeS3Store } from './intake-s3-store';
import { TusArrival } from './tus-arrival';

/** Open uploads looked at per pass for a missed signal; the rest wait for the next one. */
const BATCH = 500;

/**
 * Runs in every API process, every TUS_RECONCILE_INTERVAL_MS with jitter (so instances spread
 * out), and repairs what a request could leave behind:
 * - a tus upload whose bytes were assembled but whose finish hook failed (after the client was
 *   told, or while the process died) is still awaiting_upload: its arrival is signalled now;
 * - tus state of uploads no longer awaiting bytes (processing, finished, expired, or gone) is
 *   dropped: open multipart uploads aborted, `.info`/`.part` deleted. The incoming object itself
 *   belongs to the workflow (verify copies it, the incoming sweeper deletes leftovers).
 */
@Injectable()
export class TusReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private cursor = new Date(0);
  /** Where the next pass over tus state goes on from (a state key); undefined: from the start. */
  private stateCursor: string | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(TusArrival) private readonly arrival: TusArrival,
    @Inject(IntakeS3Store) private readonly store: IntakeS3Store,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.config.TUS_RECONCILE_INTERVAL_MS * (0.5 + Math.random());
    this.timer = setTimeout(() => void this.reconcile().finally(() => this.schedule()), delay);
    this.timer.unref();
  }

  async reconcile(): Promise<void> {
    try {
      await this.signalAssembled();
      await this.forgetEnded();
    } catch (err) {
      this.logger.warn({ err }, 'tus reconcile pass failed');
    }
  }

  private async signalAssembled(): Promise<void> {
    // Pages through open uploads across passes, so a backlog of stale ones cannot hide newer ones.
    const rows: Array<{ id: string; created_at: Date }> = await this.dataSource.query(
      `SELECT id, created_at FROM uploads
       WHERE mode = 'tus' AND status = 'awaiting_upload' AND expires_at > now() AND created_at > $1
       ORDER BY created_at LIMIT $2`,
      [this.cursor, BATCH],
    );
    this.cursor = rows.length === BATCH ? rows[rows.length - 1]!.created_at : new Date(0);
    for (const { id } of rows) {
      if (this.stopped) return;
      try {
        await this.arrival.signal(id);
      } catch (err) {
        this.logger.warn({ err, uploadId: id }, 'could not signal a finished tus upload');
      }
    }
  }

  private async forgetEnded(): Promise<void> {
    // A page per pass, carried on across passes, so a run of live uploads sorting first (one
    // tenant's many idle ones) cannot keep ended ones after it from ever being looked at.
    const { uploads: refs, next } = await this.store.uploadsWithState(this.config.TUS_RECONCILE_PAGE_SIZE, this.stateCursor);
    this.stateCursor = next;
    if (!refs.length) return;
    const live: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM uploads WHERE id = ANY($1::uuid[]) AND status = 'awaiting_upload' AND expires_at > now()`,
      [refs.map((r) => r.uploadId)],
    );
    const awaiting = new Set(live.map((r) => r.id));
    for (const ref of refs) {
      if (this.stopped) return;
      if (awaiting.has(ref.uploadId)) continue;
      try {
        await this.store.forget(ref);
        this.logger.info({ uploadId: ref.uploadId, tenantId: ref.tenantId }, 'tus state dropped');
      } catch (err) {
        // One upload's broken state must not hold up the others (the next round tries it again).
        this.logger.warn({ err, uploadId: ref.uploadId }, 'could not drop tus state');
      }
    }
  }
}
