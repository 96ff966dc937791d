import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Every directory a session creates starts with this, so the sweeper touches nothing else. */
export const WORKSPACE_DIR_PREFIX = 'session-';

/** The two kinds of work a worker takes on, each with its own share of the machine. */
export type WorkspaceRole = 'uploads' | 'transcode';

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
  private readonly waiting: Record<WorkspaceRole, Array<() => void>> = { uploads: [], transcode: [] };
  private readonly now: () => number;

  constructor(private readonly options: WorkspaceSessionsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** This worker's own queue for work that follows a session opened from `sharedQueue`. */
  localQueue(sharedQueue: string): string {
    return `${sharedQueue}@${this.options.workerId}`;
  }

  /**
   * A fresh, empty session for the upload, waiting for a free slot of its role. A session the upload
   * already had here (a retried first step) is replaced: the caller downloads again.
   */
  async open(uploadId: string, role: WorkspaceRole, signal?: AbortSignal): Promise<WorkspaceSession> {
    await this.close(uploadId);
    while (this.count(role) >= this.options.slots[role]) {
      this.reapIdle();
      if (this.count(role) < this.options.slots[role]) break;
      await this.waitForSlot(role, signal);
    }
    await mkdir(this.options.workDir, { recursive: true });
    const dir = await mkdtemp(join(this.options.workDir, `${WORKSPACE_DIR_PREFIX}${uploadId}-`));
    const session: WorkspaceSession = { uploadId, role, dir, sourcePath: join(dir, 'source'), busy: 0, lastUsed: this.now() };
    this.sessions.set(uploadId, session);
    return session;
  }

  has(uploadId: string): boolean {
    return this.sessions.has(uploadId);
  }

  /** Runs `fn` with the upload's session, which stays un-reapable meanwhile. */
  async use<T>(uploadId: string, fn: (session: WorkspaceSession) => Promise<T>): Promise<T> {
    const session = this.sessions.get(uploadId);
    if (!session) throw new WorkspaceLostError(uploadId);
    session.busy++;
    session.lastUsed = this.now();
    try {
      return await fn(session);
    } finally {
      session.busy--;
      session.lastUsed = this.now();
    }
  }

  /** Removes the session's files and frees its slot. Idempotent. */
  async close(uploadId: string): Promise<void> {
    const session = this.sessions.get(uploadId);
    if (!session) return;
    this.sessions.delete(uploadId);
    try {
      await rm(session.dir, { recursive: true, force: true });
    } finally {
      this.waiting[session.role].shift()?.();
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
