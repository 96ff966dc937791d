import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadHistories } from '../support/workflow-histories';

/**
 * Every recorded upload history (image, video, rejected, expired, form upload) replays against
 * today's workflow code without a nondeterminism error: a change that would break uploads in flight
 * fails here. Such a change needs patched() (or a new workflow type), then new recordings, keeping
 * the old ones (`before-webhooks-*`: recorded before durable webhooks).
 */
describe('recorded upload workflow histories replay on the current workflow code', () => {
  beforeAll(() => Runtime.install({ logger: new DefaultLogger('WARN') }));

  it('has a recording of each outcome', async () => {
    expect((await loadHistories()).map((h) => h.name)).toEqual(
      expect.arrayContaining(['upload-expired', 'upload-image-ready', 'upload-rejected', 'upload-video-ready']),
    );
  });

  it('replays each without a nondeterminism error', async () => {
    const histories = await loadHistories();
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: require.resolve('../../workflows'), replayName: 'intake-replay' },
      histories.map(({ workflowId, history }) => ({ workflowId, history })),
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(histories.length).toBeGreaterThanOrEqual(4);
  });
});
