import { access, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkspaceBusyError, WorkspaceLostError, WorkspaceSessions } from '../../src/workspaces/workspace-sessions';

/** Lets pending work run until `done()` holds (a hung test fails on jest's timeout). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setImmediate(r));
}

describe('WorkspaceSessions', () => {
  let workDir: string;
  let clock: number;
  const sessions = (slots = 1) =>
    new WorkspaceSessions({ workDir, workerId: 'w1', slots: { uploads: slots, transcode: 1, backfill: 1 }, idleMs: 1000, now: () => clock });

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'intake-sessions-'));
    clock = 0;
  });

  it('names this worker\'s own queue after the shared one', () => {
    expect(sessions().localQueue('intake-uploads')).toBe('intake-uploads@w1');
  });

  it('holds one directory per upload and removes it on close', async () => {
    const s = sessions();
    const opened = await s.open('u1', 'uploads');
    s.done(opened);
    await writeFile(opened.sourcePath, 'bytes');
    expect(await s.use('u1', async (session) => session.sourcePath)).toBe(opened.sourcePath);
    await s.close('u1');
    expect(await readdir(workDir)).toEqual([]);
    await expect(s.use('u1', async () => 1)).rejects.toBeInstanceOf(WorkspaceLostError);
  });

  it('makes an opener wait for a free slot of its role, not of the other role', async () => {
    const s = sessions(1);
    s.done(await s.open('u1', 'uploads'));
    s.done(await s.open('v1', 'transcode')); // another role's slot
    let second = false;
    const waiting = s.open('u2', 'uploads').then(() => (second = true));
    await new Promise((r) => setImmediate(r));
    expect(second).toBe(false);
    await s.close('u1');
    await waiting;
    expect(s.has('u2')).toBe(true);
  });

  it('gives up waiting when the activity is cancelled', async () => {
    const s = sessions(1);
    await s.open('u1', 'uploads');
    const abort = new AbortController();
    const waiting = s.open('u2', 'uploads', abort.signal);
    abort.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(s.has('u2')).toBe(false);
  });

  it('reopening replaces the upload\'s earlier session (a retried first step downloads again)', async () => {
    const s = sessions(1);
    const first = await s.open('u1', 'uploads');
    s.done(first);
    const second = await s.open('u1', 'uploads');
    expect(second.dir).not.toBe(first.dir);
    await expect(access(first.dir)).rejects.toThrow();
  });

  it('refuses to replace a session a step is still using', async () => {
    const s = sessions(1);
    await s.open('u1', 'uploads'); // still busy: its ingest has not finished
    await expect(s.open('u1', 'uploads')).rejects.toBeInstanceOf(WorkspaceBusyError);
  });

  it('holds the slot limit when openers race', async () => {
    const s = sessions(2);
    const opened: string[] = [];
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => s.open(id, 'uploads').then((x) => opened.push(x.uploadId)));
    // Settled states, not time: two hold slots and three wait.
    await until(() => opened.length + s.waitingFor('uploads') === 5 && opened.length === 2);
    await s.close(opened[0]!);
    await s.close(opened[1]!);
    await until(() => opened.length === 4 && s.waitingFor('uploads') === 1);
    await Promise.all(opened.slice(2).map((id) => s.close(id)));
    await Promise.all(all);
    expect(opened).toHaveLength(5);
  });

  it('never lets a stale attempt close the session a newer attempt opened', async () => {
    const s = sessions(1);
    const stale = await s.open('u1', 'uploads');
    s.done(stale);
    const fresh = await s.open('u1', 'uploads');
    await s.close('u1', stale);
    expect(s.has('u1')).toBe(true);
    await s.close('u1', fresh);
    expect(s.has('u1')).toBe(false);
  });

  it('never reaps a session whose first step (the download) is still running', async () => {
    const s = sessions(1);
    const opening = await s.open('u1', 'uploads');
    clock = 5000;
    expect(s.reapIdle()).toEqual([]);
    s.done(opening);
    clock = 10_000;
    expect(s.reapIdle()).toEqual(['u1']);
  });

  it('reaps sessions abandoned past the idle limit, never one in use', async () => {
    const s = sessions(2);
    s.done(await s.open('idle', 'uploads'));
    s.done(await s.open('busy', 'uploads'));
    let release!: () => void;
    const using = s.use('busy', () => new Promise<void>((r) => (release = r)));
    clock = 5000;
    expect(s.reapIdle()).toEqual(['idle']);
    expect([s.has('idle'), s.has('busy')]).toEqual([false, true]);
    release();
    await using;
  });
});
