import { mkdir, mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepIdleWorkspaces } from '../../src/workspaces/sweep';

describe('sweepIdleWorkspaces', () => {
  it('removes directories idle past the limit and keeps ones still being written', async () => {
    const root = await mkdtemp(join(tmpdir(), 'intake-sweep-'));
    const hourAgo = (Date.now() - 2 * 3600_000) / 1000;
    for (const name of ['session-stale', 'session-busy', 'not-ours']) {
      await mkdir(join(root, name));
      await writeFile(join(root, name, 'source'), 'x');
      await utimes(join(root, name, 'source'), hourAgo, hourAgo);
      await utimes(join(root, name), hourAgo, hourAgo);
    }
    await writeFile(join(root, 'session-busy', 'optimized.mp4'), 'still growing');

    expect(await sweepIdleWorkspaces(root, 3600_000)).toEqual(['session-stale']);
    expect((await readdir(root)).sort()).toEqual(['not-ours', 'session-busy']);
  });

  it('does nothing when the work directory does not exist yet', async () => {
    await expect(sweepIdleWorkspaces(join(tmpdir(), 'intake-none-here'), 1)).resolves.toEqual([]);
  });
});
