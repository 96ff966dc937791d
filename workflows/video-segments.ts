import type { SegmentPlan } from '../activities/segments';
import { TASK_QUEUES, type UploadWorkflowInput } from './contract';
import { summarizedActivities, type UploadVisibility } from './visibility';

/**
 * A video's segmented transcode, as the upload workflow runs it (workflow code: deterministic,
 * relative imports only). splitVideo, the last step on the worker holding the local copy,
 * answers the plan.
 */

export function isSegmentPlan(value: unknown): value is SegmentPlan {
  return typeof value === 'object' && value !== null && Array.isArray((value as SegmentPlan).segments);
}

/**
 * Every segment on the segments queue at once, so any number of transcode workers share
 * one video; a lost worker's segment is retried elsewhere (its heartbeat stops within 20 s), and
 * each segment's deadline follows its length. The Temporal UI names each `segment-<n>-of-<total>`.
 * Then one step joins the top rung and records the ladder.
 */
export async function transcodeInSegments(
  uploadId: string,
  plan: SegmentPlan,
  outputs: UploadWorkflowInput['outputs'],
  visibility: UploadVisibility,
): Promise<void> {
  const total = plan.segments.length;
  const { progress } = visibility;
  Object.assign(progress, { segmentsTotal: total, segmentsDone: 0 });
  visibility.enter('transcoding');
  const segmentDone = () => {
    progress.segmentsDone++;
    progress.progress = Math.floor((progress.segmentsDone / total) * 95);
    visibility.showDetails();
  };
  await Promise.all(
    plan.segments.map((segment) =>
      summarizedActivities({
        taskQueue: TASK_QUEUES.segments,
        activityId: `segment-${segment.index + 1}-of-${total}`,
        startToCloseTimeout: `${Math.ceil(Math.max(120, segment.durationSeconds * 30))} seconds`,
        heartbeatTimeout: '20 seconds',
        retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
      })
        .transcodeSegment({ uploadId, segment, segmentCount: total, rungs: plan.rungs, rotationDegrees: plan.rotationDegrees })
        .then(segmentDone),
    ),
  );
  await assembling.assembleVideo({ uploadId, outputs });
}

// Joining downloads the top rung (a rendition's size, not the source's) and copies streams.
const assembling = summarizedActivities({
  taskQueue: TASK_QUEUES.segments,
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});
