import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WORKSPACE_DIR_PREFIX } from './workspace-sessions';

/**
 * Removes session directories that nothing has written to for `maxIdleMs`: what a killed worker
 * left behind. A live transcode keeps writing its output, so its directory never looks idle. Only
 * directories named like a session are considered: WORK_DIR may be shared with other things.
 */
export async function sweepIdleWorkspaces(workDir: string, maxIdleMs: number, now = Date.now()): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(workDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(WORKSPACE_DIR_PREFIX)) continue;
    const dir = join(workDir, entry);
    const newest = await newestWrite(dir).catch(() => undefined);
    if (newest !== undefined && now - newest > maxIdleMs) {
      await rm(dir, { recursive: true, force: true });
      removed.push(entry);
    }
  }
  return removed;
}

async function newestWrite(dir: string): Promise<number> {
  const info = await stat(dir);
  let newest = info.mtimeMs;
  if (info.isDirectory()) {
    for (const name of await readdir(dir)) {
      newest = Math.max(newest, (await stat(join(dir, name))).mtimeMs);
    }
  }
  return newest;
}
