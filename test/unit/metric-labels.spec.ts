import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { tmpdir } from 'node:os';
import { ErrorCode } from '../../src/common/errors';
import { CorruptImageError, CorruptVideoError, ImageTooLargeError, MediaLimitError } from '../../src/media/media-errors';
import { ToolFailure, ToolUnavailableError } from '../../src/media/tool-process';
import { WorkerReadiness } from '../../src/observability/health/worker-readiness';
import { stepOutcome } from '../../src/observability/metrics/activity-metrics.interceptor';
import { routeLabel } from '../../src/observability/metrics/http-metrics';
import { mediaFailureLabels, withMediaError } from '../../src/observability/metrics/media-failures';

describe('metric labels stay few and meaningful', () => {
  it('labels a request by its route pattern or mount, never by its URL', () => {
    const req = (path: string | undefined, originalUrl: string) => ({ route: path ? { path } : undefined, originalUrl });
    expect(routeLabel(req('/v1/uploads/:id', '/v1/uploads/0b6e…?x=1'), ['/v1/tus'])).toBe('/v1/uploads/:id');
    expect(routeLabel(req(undefined, '/v1/tus/abc123?x'), ['/v1/tus'])).toBe('/v1/tus');
    expect(routeLabel(req(undefined, '/v1/tus'), ['/v1/tus'])).toBe('/v1/tus');
    expect(routeLabel(req(undefined, '/v1/tusk/1'), ['/v1/tus'])).toBe('unmatched');
    expect(routeLabel(req(undefined, '/wp-admin/0b6e'), ['/v1/tus'])).toBe('unmatched');
  });

  it('tells a rejection, a retried failure and a cancellation apart', () => {
    expect(stepOutcome(ApplicationFailure.nonRetryable('infected', ErrorCode.INFECTED), false)).toBe('rejected');
    expect(stepOutcome(ApplicationFailure.retryable('flaky'), false)).toBe('retried_failure');
    expect(stepOutcome(new Error('ECONNRESET'), false)).toBe('retried_failure');
    expect(stepOutcome(new CancelledFailure('cancelled'), false)).toBe('cancelled');
    expect(stepOutcome(new Error('aborted'), true)).toBe('cancelled');
  });

  it('names the media tool and how it failed, also behind the rejection an activity made of it', () => {
    const rejection = () => ApplicationFailure.nonRetryable('The content cannot be decoded', ErrorCode.CORRUPT_MEDIA);
    expect(mediaFailureLabels(withMediaError(rejection(), new CorruptVideoError('x')))).toEqual({ tool: 'ffmpeg', kind: 'unreadable' });
    expect(mediaFailureLabels(new CorruptImageError('x'))).toEqual({ tool: 'sharp', kind: 'unreadable' });
    expect(mediaFailureLabels(new ImageTooLargeError('x'))).toEqual({ tool: 'sharp', kind: 'limit' });
    expect(mediaFailureLabels(new MediaLimitError(ErrorCode.VIDEO_TOO_LONG, 'x'))).toEqual({ tool: 'ffprobe', kind: 'limit' });
    expect(mediaFailureLabels(new ToolFailure('/usr/local/bin/ffprobe', 1, null, ''))).toEqual({ tool: 'ffprobe', kind: 'crash' });
    expect(mediaFailureLabels(new ToolUnavailableError('ffmpeg', 'setpriv: failed'))).toEqual({ tool: 'ffmpeg', kind: 'unavailable' });
    expect(mediaFailureLabels(rejection())).toBeUndefined();
    expect(mediaFailureLabels(new Error('S3 timeout'))).toBeUndefined();
    // The media error never travels with the failure to Temporal.
    expect(Object.keys(withMediaError(ApplicationFailure.nonRetryable('x'), new CorruptVideoError('x')))).not.toContain('mediaError');
  });
});

describe('worker readiness', () => {
  const probes = (over: Partial<ConstructorParameters<typeof WorkerReadiness>[0]> = {}) => ({
    temporal: async () => undefined,
    workerStates: () => ['RUNNING', 'RUNNING'],
    workDir: tmpdir(),
    minFreeBytes: 1,
    ...over,
  });

  it('is ready when Temporal answers, every Worker polls and the scratch disk has room', async () => {
    const { ready, body } = await new WorkerReadiness(probes()).check();
    expect([ready, body.status, body.checks]).toEqual([true, 'ready', { draining: false, temporal: 'up', workers: 'running', disk: 'ok' }]);
  });

  it('names every check that fails', async () => {
    const readiness = new WorkerReadiness(
      probes({
        temporal: async () => Promise.reject(new Error('UNAVAILABLE')),
        workerStates: () => ['RUNNING', 'FAILED'],
        minFreeBytes: Number.MAX_SAFE_INTEGER,
      }),
    );
    const { ready, body } = await readiness.check();
    expect([ready, body.status, body.checks]).toEqual([false, 'unavailable', { draining: false, temporal: 'down', workers: 'RUNNING,FAILED', disk: 'low' }]);
    expect(body.error).toEqual({ code: 'DEPENDENCY_UNAVAILABLE', message: 'Not ready: temporal, workers, disk' });
  });

  it('goes not ready the moment the drain starts, whatever the Workers still report', async () => {
    const readiness = new WorkerReadiness(probes());
    readiness.drain();
    const { ready, body } = await readiness.check();
    expect([ready, body.status, body.error]).toEqual([false, 'draining', { code: 'DEPENDENCY_UNAVAILABLE', message: 'Not ready: draining' }]);
  });

  it('is not ready without its scratch directory', async () => {
    const { ready, body } = await new WorkerReadiness(probes({ workDir: '/nonexistent/intake-work' })).check();
    expect([ready, (body.checks as Record<string, unknown>).disk]).toEqual([false, 'missing']);
  });
});
