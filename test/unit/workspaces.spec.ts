import { mkdir, mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepIdleWorkspaces } from '../../activities/workspaces';

describe('sweepIdleWorkspaces', () => {
  it('removes directories idle past the limit and keeps ones still being written', async () => {
    const root = await mkdtemp(join(tmpdir(), 'intake-sweep-'));
    const hourAgo = (Date.now() - 2 * 3600_000) / 1000;
    for (const name of ['stale', 'busy']) {
      await mkdir(join(root, name));
      await writeFile(join(root, name, 'source'), 'x');
      await utimes(join(root, name, 'source'), hourAgo, hourAgo);
      await utimes(join(root, name), hourAgo, hourAgo);
    }
    await writeFile(join(root, 'busy', 'optimized.mp4'), 'still growing');

    expect(await sweepIdleWorkspaces(root, 3600_000)).toEqual(['stale']);
    expect(await readdir(root)).toEqual(['busy']);
  });

  it('does nothing when the work directory does not exist yet', async () => {
    await expect(sweepIdleWorkspaces(join(tmpdir(), 'intake-none-here'), 1)).resolves.toEqual([]);
  });
});
