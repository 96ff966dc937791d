import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes of regular files under `dir` (a worker's scratch: a few files per upload, a few hundred for
 * a segmented video), walked at scrape time. Files removed during the walk are skipped.
 */
export async function scratchUsage(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await scratchUsage(path);
    else if (entry.isFile()) total += await lstat(path).then((s) => s.size, () => 0);
  }
  return total;
}
