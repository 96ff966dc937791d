import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ResumeState } from '../clients/ts/src';

/** Where interrupted multipart uploads are remembered: INTAKE_STATE_DIR, else $XDG_CACHE_HOME/intake, else ~/.cache/intake. */
export function stateFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.INTAKE_STATE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'intake');
  return join(dir, 'uploads.json');
}

type Entries = Record<string, ResumeState & { apiUrl: string }>;

/**
 * Multipart uploads in progress, keyed by path + size + mtime (a changed file starts afresh) and
 * the API they went to. Written before the first byte is sent, removed once the upload completes.
 */
export class ResumeStore {
  constructor(private readonly file: string) {}

  static keyOf(path: string): string {
    const { size, mtimeMs } = statSync(path);
    return `${resolve(path)}|${size}|${Math.trunc(mtimeMs)}`;
  }

  find(path: string, apiUrl: string): ResumeState | undefined {
    const entry = this.read()[ResumeStore.keyOf(path)];
    return entry && entry.apiUrl === apiUrl ? { uploadId: entry.uploadId, partSize: entry.partSize } : undefined;
  }

  remember(path: string, apiUrl: string, state: ResumeState): void {
    this.write({ ...this.read(), [ResumeStore.keyOf(path)]: { ...state, apiUrl } });
  }

  forget(path: string): void {
    const { [ResumeStore.keyOf(path)]: _gone, ...rest } = this.read();
    this.write(rest);
  }

  private read(): Entries {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Entries;
    } catch {
      return {};
    }
  }

  /**
   * Via a temporary file and a rename, so a kill mid-write never leaves half a file. Owner-only:
   * it names the user's files by full path, which other users of the machine need not learn.
   */
  private write(entries: Entries): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
