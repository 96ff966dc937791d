import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import type { SegmentInput } from '../../activities/segments';
import { eventually } from '../../test/support/stack';
import { workflowIdFor } from '../../workflows/contract';
import type { Clip } from './clips';
import { segmentsOf, wallSeconds } from './history';
import { descendants } from './process-tree';
import type { VideoPlatform } from './processes';
import type { VideoUploader } from './uploads';

type Description = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>>;
type Pending = NonNullable<Description['raw']['pendingActivities']>[number];

/** The heartbeat timeout transcodeSegment runs with (workflows/upload.workflow.ts). */
export const SEGMENT_HEARTBEAT_TIMEOUT_SECONDS = 20;
/** PENDING_ACTIVITY_STATE_STARTED, whether the client decoded the enum as a number or a name. */
const isStarted = (p: Pending) => Number(p.state) === 2 || String(p.state) === 'PENDING_ACTIVITY_STATE_STARTED';

export interface CrashResult {
  clip: Clip;
  segmentSeconds: number;
  segments: number;
  lostActivityId: string;
  /** The killed attempt's progress at its last heartbeat the server recorded (0..1), if any. */
  progressAtLastHeartbeat: number | null;
  /** kill -> the server failed the attempt (heartbeat timeout), s. */
  toTimeoutSeconds: number;
  /** kill -> the next attempt started on a live worker, s. */
  toResumeSeconds: number;
  /** kill -> the replacement worker polled its queues, s. */
  replacementReadySeconds: number;
  /** The worker that took the lost segment over (the other original one, or the replacement). */
  resumedBy: string;
  /** Media seconds encoded twice: the lost segment's duration. */
  reencodedSeconds: number;
  /** Segment activities whose final attempt was not the first (goal: 1, the killed one). */
  retriedSegments: number;
  wallSeconds: number;
}

const pendingSegments = (d: Description) => (d.raw.pendingActivities ?? []).filter((p) => p.activityType?.name === 'transcodeSegment');

function heartbeatFraction(p: Pending): number | null {
  const payload = p.heartbeatDetails?.payloads?.[0];
  if (!payload) return null;
  const details = defaultPayloadConverter.fromPayload<{ fraction?: number }>(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
  return typeof details?.fraction === 'number' ? details.fraction : null;
}

/**
 * Crash recovery: a light worker and two transcode workers; once a segment is being encoded and has
 * heartbeated, kill -9 the worker encoding it and start a replacement (as a supervisor would). The
 * workflow's own view (describe) says when the server gave up on the attempt and when the segment
 * started again; the history says what ran twice.
 */
export async function measureCrash(opts: {
  platform: VideoPlatform;
  uploader: VideoUploader;
  temporal: Client;
  clip: Clip;
  segmentSeconds: number;
  step: (message: string) => void;
}): Promise<CrashResult> {
  const { platform, step } = opts;
  const transcode = { WORKER_QUEUES: 'transcode', WORKER_MAX_CONCURRENT_TRANSCODES: '1', VIDEO_SEGMENT_SECONDS: String(opts.segmentSeconds) };
  const workers = [
    await platform.startWorker('crash-light', { WORKER_QUEUES: 'uploads,webhooks', VIDEO_SEGMENT_SECONDS: String(opts.segmentSeconds) }),
    await platform.startWorker('crash-transcode-a', transcode),
    await platform.startWorker('crash-transcode-b', transcode),
  ];
  try {
    const id = await platform.guarded(opts.uploader.start(opts.clip));
    const handle = opts.temporal.workflow.getHandle(workflowIdFor(id));
    const encoders = workers.slice(1);
    const workerOf = (p: Pending) => encoders.find((w) => p.lastWorkerIdentity?.startsWith(`${w.child.pid}@`));
    step('crash: waiting for a segment that is encoding and has heartbeated');
    const target = await platform.guarded(
      eventually(
        async () => {
          const encoding = pendingSegments(await handle.describe()).filter((p) => isStarted(p) && p.lastHeartbeatTime && workerOf(p));
          return encoding.find((p) => descendants(workerOf(p)!.child.pid!).length > 0);
        },
        10 * 60_000,
        'a segment to be encoding',
        100,
      ),
    );
    const victim = workerOf(target)!;
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    step(`crash: killed ${victim.name} (pid ${victim.child.pid}) while it encoded ${target.activityId}; starting a replacement`);
    const replacementReady = platform.startWorker('crash-transcode-c', transcode).then((w) => {
      workers.push(w);
      return Date.now();
    });

    // Polled until the lost segment runs again: when the attempt was failed, and when the next began.
    let failedAt = NaN;
    let resumedAt = NaN;
    let resumedIdentity = '';
    const seen = await platform.guarded(
      eventually(
        async () => {
          const p = pendingSegments(await handle.describe()).find((a) => a.activityId === target.activityId);
          if (!p) return 'closed' as const; // finished between two looks: the history has its start
          if ((p.attempt ?? 1) < 2) return undefined;
          if (Number.isNaN(failedAt)) failedAt = p.lastAttemptCompleteTime ? tsToMs(p.lastAttemptCompleteTime) : Date.now();
          if (!isStarted(p) || !p.lastStartedTime) return undefined;
          resumedAt = tsToMs(p.lastStartedTime);
          resumedIdentity = p.lastWorkerIdentity ?? '';
          return 'started' as const;
        },
        5 * 60_000,
        `${target.activityId} to start again`,
        100,
      ),
    );
    const replacementAt = await platform.guarded(replacementReady);
    const timeline = await platform.guarded(opts.uploader.finished(id, 20 * 60_000));
    const segments = segmentsOf(timeline);
    const lost = segments.find((s) => s.activityId === target.activityId)!;
    if (seen === 'closed') {
      resumedAt = lost.startedMs;
      resumedIdentity = lost.identity;
    }
    return {
      clip: opts.clip,
      segmentSeconds: opts.segmentSeconds,
      segments: segments.length,
      lostActivityId: target.activityId!,
      progressAtLastHeartbeat: heartbeatFraction(target),
      toTimeoutSeconds: (failedAt - killedAt) / 1000,
      toResumeSeconds: (resumedAt - killedAt) / 1000,
      replacementReadySeconds: (replacementAt - killedAt) / 1000,
      resumedBy: workers.find((w) => resumedIdentity.startsWith(`${w.child.pid}@`))?.name ?? resumedIdentity,
      reencodedSeconds: (lost.input as SegmentInput).segment.durationSeconds,
      retriedSegments: segments.filter((s) => s.attempt > 1).length,
      wallSeconds: wallSeconds(timeline),
    };
  } finally {
    await platform.stop(...workers);
  }
}
