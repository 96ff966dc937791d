import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Every directory a session creates starts with this, so the sweeper touches nothing else. */
export const WORKSPACE_DIR_PREFIX = 'session-';

/** The kinds of work a worker takes on, each with its own share of the machine (backfill: admin reruns). */
export type WorkspaceRole = 'uploads' | 'transcode' | 'backfill';

export interface WorkspaceSession {
  uploadId: string;
  role: WorkspaceRole;
  dir: string;
  /** The verified original, downloaded once; every step of this upload on this worker reads it. */
  sourcePath: string;
  /** Activities currently using the session; a busy session is never reaped. */
  busy: number;
  lastUsed: number;
}

/** The session is not on this worker (it was released, reaped, or the worker restarted). */
export class WorkspaceLostError extends Error {
  constructor(uploadId: string) {
    super(`no workspace for upload ${uploadId} on this worker`);
    this.name = 'WorkspaceLostError';
  }
}

/** A step of this upload is still using its session here: the new attempt must wait (retryable). */
export class WorkspaceBusyError extends Error {
  constructor(uploadId: string) {
    super(`the workspace of upload ${uploadId} is still in use on this worker`);
    this.name = 'WorkspaceBusyError';
  }
}

export interface WorkspaceSessionsOptions {
  workDir: string;
  /** Unique per worker process: names this worker's own task queues. */
  workerId: string;
  /** How many uploads of each role may hold a local copy at once (the activity concurrency). */
  slots: Record<WorkspaceRole, number>;
  /** A session nobody has used for this long was abandoned (its workflow ended elsewhere). */
  idleMs: number;
  now?: () => number;
}

/**
 * The local copies of originals on this worker. An upload's first step on a worker opens a session
 * (downloading the original once); the later steps run on this worker's own task queue and read the
 * same file; the workflow closes the session at the end. Slots bound how many uploads a worker holds,
 * so one worker never claims more work than its own queue can start at once.
 */
export class WorkspaceSessions {
  private readonly sessions = new Map<string, WorkspaceSession>();
  private readonly waiting: Record<WorkspaceRole, Array<() => void>> = { uploads: [], transcode: [], backfill: [] };
  private readonly now: () => number;

  constructor(private readonly options: WorkspaceSessionsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** This worker's own queue for work that follows a session opened from `sharedQueue`. */
  localQueue(sharedQueue: string): string {
    return `${sharedQueue}@${this.options.workerId}`;
  }

  /**
   * A fresh, empty session for the upload, waiting for a free slot of its role, returned busy: the
   * caller calls done() when its step ends. A session the upload already had here (a retried first
   * step) is replaced, unless a step is still using it (then WorkspaceBusyError: retry later).
   */
  async open(uploadId: string, role: WorkspaceRole, signal?: AbortSignal): Promise<WorkspaceSession> {
    const existing = this.sessions.get(uploadId);
    if (existing?.busy) throw new WorkspaceBusyError(uploadId);
    if (existing) await this.close(uploadId, existing);
    while (this.count(role) >= this.options.slots[role]) {
      this.reapIdle();
      if (this.count(role) < this.options.slots[role]) break;
      await this.waitForSlot(role, signal);
    }
    if (this.sessions.has(uploadId)) throw new WorkspaceBusyError(uploadId);
    // Reserved before the next await, so concurrent openers see the slot taken.
    const session: WorkspaceSession = { uploadId, role, dir: '', sourcePath: '', busy: 1, lastUsed: this.now() };
    this.sessions.set(uploadId, session);
    try {
      await mkdir(this.options.workDir, { recursive: true });
      session.dir = await mkdtemp(join(this.options.workDir, `${WORKSPACE_DIR_PREFIX}${uploadId}-`));
      session.sourcePath = join(session.dir, 'source');
      return session;
    } catch (err) {
      this.sessions.delete(uploadId);
      this.wakeOne(role);
      throw err;
    }
  }

  /** The step that opened or used the session has ended. */
  done(session: WorkspaceSession): void {
    session.busy = Math.max(0, session.busy - 1);
    session.lastUsed = this.now();
  }

  has(uploadId: string): boolean {
    return this.sessions.has(uploadId);
  }

  /** How many openers of this role are waiting for a slot. */
  waitingFor(role: WorkspaceRole): number {
    return this.waiting[role].length;
  }

  /** Runs `fn` with the upload's session, which stays un-reapable meanwhile. */
  async use<T>(uploadId: string, fn: (session: WorkspaceSession) => Promise<T>): Promise<T> {
    const session = this.sessions.get(uploadId);
    if (!session || !session.dir) throw new WorkspaceLostError(uploadId);
    session.busy++;
    session.lastUsed = this.now();
    try {
      return await fn(session);
    } finally {
      this.done(session);
    }
  }

  /**
   * Removes the session's files and frees its slot. Idempotent. With `which`, only that session:
   * a stale attempt's clean-up never removes the session a newer attempt opened.
   */
  async close(uploadId: string, which?: WorkspaceSession): Promise<void> {
    const session = this.sessions.get(uploadId);
    if (!session || (which && which !== session)) return;
    this.sessions.delete(uploadId);
    try {
      if (session.dir) await rm(session.dir, { recursive: true, force: true });
    } finally {
      this.wakeOne(session.role);
    }
  }

  /** Closes sessions idle past `idleMs` that no activity is using; returns their upload ids. */
  reapIdle(): string[] {
    const cutoff = this.now() - this.options.idleMs;
    const reaped = [...this.sessions.values()].filter((s) => s.busy === 0 && s.lastUsed < cutoff).map((s) => s.uploadId);
    for (const uploadId of reaped) void this.close(uploadId);
    return reaped;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }

  private wakeOne(role: WorkspaceRole): void {
    this.waiting[role].shift()?.();
  }

  private count(role: WorkspaceRole): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.role === role) n++;
    return n;
  }

  private waitForSlot(role: WorkspaceRole, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiting[role] = this.waiting[role].filter((w) => w !== wake);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting[role].push(wake);
    });
  }
}
