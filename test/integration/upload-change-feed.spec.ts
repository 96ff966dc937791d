import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { UploadChangeFeed } from '../../src/live-status/upload-change-feed';
import { UploadViews } from '../../src/live-status/upload-views';
import type { UploadView } from '../../src/uploads/upload-view';
import { RealDeps, realDeps, seedUpload } from '../support/real-deps';

/** What one subscriber received, with arrival times; waits are for events, never for time. */
class Subscriber {
  readonly received: Array<{ view: UploadView | null; at: number }> = [];
  private waiters: Array<() => void> = [];

  readonly listener = (view: UploadView | null) => {
    this.received.push({ view, at: Date.now() });
    for (const wake of this.waiters.splice(0)) wake();
  };

  get views(): UploadView[] {
    return this.received.map((r) => r.view!);
  }

  get last(): UploadView | undefined {
    return this.views.at(-1);
  }

  async until(check: (views: UploadView[]) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.views)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.views.map(step))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

const step = (v: UploadView) => `${v.status}/${v.stage}/${v.progress}`;

/** The live-status feed on the real PostgreSQL: the trigger, one LISTEN connection, fan-out, reconnects. */
describe('UploadChangeFeed (real PostgreSQL)', () => {
  let deps: RealDeps;
  let views: UploadViews;
  let feed: UploadChangeFeed;
  let applicationName: string;
  const reads: string[] = [];

  beforeAll(async () => {
    deps = await realDeps();
    views = new UploadViews(deps.uploads, deps.links);
  });
  afterAll(async () => {
    await deps?.close();
  });

  /** A feed whose reads are counted in `reads`, listening under its own application_name. */
  async function startFeed(options: { progressIntervalMs?: number } = {}): Promise<UploadChangeFeed> {
    const started = new UploadChangeFeed({
      databaseUrl: deps.config.DATABASE_URL,
      load: (id) => {
        reads.push(id);
        return views.load(id);
      },
      logger: pino({ level: 'silent' }),
      applicationName: `intake-feed-test-${randomUUID()}`,
      reconnectMinMs: 50,
      ...options,
    });
    started.start();
    await started.listening();
    return started;
  }

  beforeEach(async () => {
    reads.length = 0;
    feed = await startFeed();
    applicationName = feed.applicationName;
  });
  afterEach(() => feed?.close());

  async function seeded(): Promise<string> {
    return (await seedUpload(deps, { contentType: 'image/png' })).upload.id;
  }

  it('reads a changed upload once for all of its subscribers', async () => {
    const id = await seeded();
    const [a, b] = [new Subscriber(), new Subscriber()];
    feed.subscribe(id, a.listener);
    await a.until((v) => v.length === 1, 'the first subscriber\'s current state');
    feed.subscribe(id, b.listener);
    await b.until((v) => v.length === 1, 'the second subscriber\'s current state');
    expect([a.last?.stage, b.last?.stage]).toEqual(['verifying', 'verifying']);
    const before = reads.length;

    await deps.uploads.setStage(id, 'scanning');
    await a.until((v) => v.length === 2, 'the change, first subscriber');
    await b.until((v) => v.length === 2, 'the change, second subscriber');
    expect([a.last, b.last].map((v) => v && step(v))).toEqual(['processing/scanning/0', 'processing/scanning/0']);
    expect(reads.length - before).toBe(1);
  });

  it('coalesces a burst of progress to a few events, at most one per interval, ending on the latest', async () => {
    const id = await seeded();
    await deps.uploads.setStage(id, 'processing');
    const s = new Subscriber();
    feed.subscribe(id, s.listener);
    await s.until((v) => v.at(-1)?.stage === 'processing', 'the processing stage');
    const first = s.received.length;

    const updates = 40;
    for (let p = 1; p <= updates; p++) await deps.uploads.setProgress(id, p);
    await s.until((v) => v.at(-1)?.progress === updates, `progress ${updates}`);

    const progress = s.received.slice(first);
    expect(progress.map((r) => r.view!.progress)).toEqual([...progress.map((r) => r.view!.progress)].sort((x, y) => x - y));
    expect(progress.length).toBeLessThan(updates);
    // 250 ms apart, less a little for timer rounding.
    const gaps = progress.slice(1).map((r, i) => r.at - progress[i]!.at);
    expect(gaps.filter((gap) => gap < 200)).toEqual([]);
  });

  it('holds back progress only: a stage change goes out at once, whatever progress waits', async () => {
    // An interval far longer than the wait below: whatever arrives did not wait for it.
    const slow = await startFeed({ progressIntervalMs: 3_600_000 });
    try {
      const id = await seeded();
      await deps.uploads.setStage(id, 'processing');
      const s = new Subscriber();
      slow.subscribe(id, s.listener);
      await s.until((v) => v.length === 1, 'the current state');
      await deps.uploads.setProgress(id, 10);
      await s.until((v) => v.at(-1)?.progress === 10, 'the first progress');
      await deps.uploads.setProgress(id, 20);
      await deps.uploads.setStage(id, 'thumbnailing');
      await s.until((v) => v.at(-1)?.stage === 'thumbnailing', 'the next stage');
      expect(s.views.map(step)).toEqual(['processing/processing/0', 'processing/processing/10', 'processing/thumbnailing/0']);
    } finally {
      await slow.close();
    }
  });

  it('reconnects after its LISTEN connection is killed and re-sends the current state', async () => {
    const id = await seeded();
    const s = new Subscriber();
    feed.subscribe(id, s.listener);
    await s.until((v) => v.length === 1, 'the current state');

    const killed = await deps.dataSource.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1`, [
      applicationName,
    ]);
    expect(killed).toEqual([{ ok: true }]);
    // Nothing changed in the database: this event is the re-send after reconnecting.
    await s.until((v) => v.length === 2, 'the re-sent state');
    expect(s.views.map(step)).toEqual(['processing/verifying/0', 'processing/verifying/0']);

    await deps.uploads.setStage(id, 'extracting_metadata');
    await s.until((v) => v.at(-1)?.stage === 'extracting_metadata', 'a change after reconnecting');
    const listeners = await deps.dataSource.query(`SELECT query FROM pg_stat_activity WHERE application_name = $1`, [applicationName]);
    expect(listeners).toEqual([{ query: 'LISTEN upload_changed' }]);
  });

  it('reads nothing for uploads nobody watches, and forgets an upload when its last subscriber leaves', async () => {
    const [left, watched] = [await seeded(), await seeded()];
    const gone = new Subscriber();
    const unsubscribe = feed.subscribe(left, gone.listener);
    await gone.until((v) => v.length === 1, 'the current state');
    unsubscribe();
    expect(feed.subscriberCount).toBe(0);
    const marker = new Subscriber();
    feed.subscribe(watched, marker.listener);
    await marker.until((v) => v.length === 1, 'the marker\'s current state');
    const before = reads.length;

    await deps.uploads.setStage(left, 'scanning');
    await deps.uploads.setStage(watched, 'scanning');
    // Notifications arrive in commit order on one connection: once the marker's change is in, the other's was handled.
    await marker.until((v) => v.length === 2, 'the marker\'s change');
    expect(reads.slice(before)).toEqual([watched]);
    expect(gone.received).toHaveLength(1);
  });

  it('tells subscribers when their upload no longer exists', async () => {
    const id = await seeded();
    const s = new Subscriber();
    feed.subscribe(id, s.listener);
    await s.until((v) => v.length === 1, 'the current state');
    await deps.uploads.delete(id);
    // A row that is gone sends no notification; a re-send (as after a reconnect) finds it missing.
    await deps.dataSource.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [applicationName]);
    await s.until((v) => v.length === 2, 'the end');
    expect(s.received[1]!.view).toBeNull();
  });
});
