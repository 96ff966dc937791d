import { Client } from 'pg';
import type { Logger } from 'pino';
import type { UploadView } from '../uploads/upload-view';

/** The channel the `uploads` trigger notifies (migration 1764310000000) with the upload's id. */
export const UPLOAD_CHANGED_CHANNEL = 'upload_changed';

/** Receives an upload's current view, or null once the upload no longer exists. */
export type StatusListener = (view: UploadView | null) => void;

export interface UploadChangeFeedOptions {
  databaseUrl: string;
  /** Loads an upload's current view (null: no such upload); called once per change, whatever the subscribers. */
  load: (uploadId: string) => Promise<UploadView | null>;
  logger: Logger;
  /** Progress-only changes reach an upload's subscribers at most once per this many ms (the latest wins). */
  progressIntervalMs?: number;
  /** The LISTEN connection's application_name, as pg_stat_activity shows it. */
  applicationName?: string;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

interface Subscriber {
  listener: StatusListener;
  /** status|stage|progress last sent; null until the first send, and again when a re-send is due. */
  sent: string | null;
}

/** One upload someone is watching: its subscribers and the one load in flight for all of them. */
interface Watched {
  subscribers: Set<Subscriber>;
  loading: boolean;
  loadAgain: boolean;
  latest: UploadView | null;
  lastProgressSentAt: number;
  progressTimer: NodeJS.Timeout | null;
}

const keyOf = (v: UploadView) => `${v.status}|${v.stage}|${v.progress}`;
const statusAndStage = (key: string) => key.slice(0, key.lastIndexOf('|'));

/**
 * Fans upload changes out to live-status subscribers from ONE PostgreSQL LISTEN connection per
 * process: a notification for a watched upload loads it once and pushes the view to each of its
 * subscribers; notifications for unwatched uploads cost nothing. After the connection drops it
 * reconnects with backoff and re-sends every subscriber the current state, since notifications
 * sent in between are lost.
 */
export class UploadChangeFeed {
  private readonly watched = new Map<string, Watched>();
  private readonly progressIntervalMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  /** How the LISTEN connection shows in pg_stat_activity. */
  readonly applicationName: string;
  private client: Client | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  private listeningWaiters: Array<() => void> = [];

  constructor(private readonly options: UploadChangeFeedOptions) {
    this.progressIntervalMs = options.progressIntervalMs ?? 250;
    this.reconnectMinMs = options.reconnectMinMs ?? 200;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 10_000;
    this.applicationName = options.applicationName ?? 'intake-live-status';
  }

  /** Starts listening in the background; streams work meanwhile (they get a re-send once it listens). */
  start(): void {
    void this.connect();
  }

  /** Resolves once the LISTEN connection is up (at once if it is). */
  listening(): Promise<void> {
    if (this.client) return Promise.resolve();
    return new Promise((resolve) => this.listeningWaiters.push(resolve));
  }

  get subscriberCount(): number {
    let n = 0;
    for (const w of this.watched.values()) n += w.subscribers.size;
    return n;
  }

  /** Sends `listener` the upload's current view, then every change; returns the unsubscribe call. */
  subscribe(uploadId: string, listener: StatusListener): () => void {
    let watched = this.watched.get(uploadId);
    if (!watched) {
      watched = { subscribers: new Set(), loading: false, loadAgain: false, latest: null, lastProgressSentAt: 0, progressTimer: null };
      this.watched.set(uploadId, watched);
    }
    const subscriber: Subscriber = { listener, sent: null };
    watched.subscribers.add(subscriber);
    this.refresh(uploadId, watched);
    return () => this.unsubscribe(uploadId, subscriber);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const watched of this.watched.values()) if (watched.progressTimer) clearTimeout(watched.progressTimer);
    this.watched.clear();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private unsubscribe(uploadId: string, subscriber: Subscriber): void {
    const watched = this.watched.get(uploadId);
    if (!watched?.subscribers.delete(subscriber) || watched.subscribers.size > 0) return;
    if (watched.progressTimer) clearTimeout(watched.progressTimer);
    this.watched.delete(uploadId);
  }

  private changed(uploadId: string): void {
    const watched = this.watched.get(uploadId);
    if (watched) this.refresh(uploadId, watched);
  }

  /** Loads the upload once for all its subscribers; changes during a load cause one more load after it. */
  private refresh(uploadId: string, watched: Watched): void {
    if (watched.loading) {
      watched.loadAgain = true;
      return;
    }
    watched.loading = true;
    this.options
      .load(uploadId)
      .then(
        (view) => this.deliver(watched, view),
        (err) => this.options.logger.warn({ err, uploadId }, 'live status: could not load upload'),
      )
      .finally(() => {
        watched.loading = false;
        if (watched.loadAgain && this.watched.get(uploadId) === watched) {
          watched.loadAgain = false;
          this.refresh(uploadId, watched);
        }
      });
  }

  /**
   * Sends the view to each subscriber that has not seen it. Status and stage changes and first
   * sends go out at once; a change of progress alone waits for the upload's progress interval,
   * and then the latest view goes out, so a burst of progress becomes a few events.
   */
  private deliver(watched: Watched, view: UploadView | null): void {
    if (!view) {
      for (const s of [...watched.subscribers]) s.listener(null);
      return;
    }
    watched.latest = view;
    const key = keyOf(view);
    const now = Date.now();
    let progressWaits = false;
    for (const s of [...watched.subscribers]) {
      if (s.sent === key) continue;
      const progressOnly = s.sent !== null && statusAndStage(s.sent) === statusAndStage(key);
      if (progressOnly && now - watched.lastProgressSentAt < this.progressIntervalMs) {
        progressWaits = true;
        continue;
      }
      if (progressOnly) watched.lastProgressSentAt = now;
      s.sent = key;
      s.listener(view);
    }
    if (progressWaits && !watched.progressTimer) {
      watched.progressTimer = setTimeout(() => {
        watched.progressTimer = null;
        this.deliver(watched, watched.latest);
      }, watched.lastProgressSentAt + this.progressIntervalMs - now);
    }
  }

  private async connect(): Promise<void> {
    this.reconnectTimer = null;
    if (this.closed) return;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: this.applicationName,
      connectionTimeoutMillis: 10_000,
    });
    let lost = false;
    const onLost = (err?: unknown) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = null;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.closed) return;
      const delay = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** this.failures++);
      this.options.logger.warn({ err, retryInMs: delay }, 'live status: LISTEN connection lost, reconnecting');
      this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.payload) this.changed(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${UPLOAD_CHANGED_CHANNEL}`);
    } catch (err) {
      onLost(err);
      return;
    }
    if (lost) return;
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    this.options.logger.info('live status: listening for upload changes');
    for (const resolve of this.listeningWaiters.splice(0)) resolve();
    // Whatever changed while nobody listened reached no one: everyone gets the current state again.
    for (const [uploadId, watched] of this.watched) {
      for (const s of watched.subscribers) s.sent = null;
      this.refresh(uploadId, watched);
    }
  }
}
