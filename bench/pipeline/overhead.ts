import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { workflowIdFor } from '../../workflows/contract';
import type { IntakeApi, WebhookCounter } from './platform-client';
import { uniqueCopy } from './sample-image';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

export interface OverheadSample {
  uploadId: string;
  /** WorkflowExecutionSignaled (the complete call) to WorkflowExecutionCompleted, ms. */
  wallMs: number;
  /** Σ ActivityTaskCompleted − its ActivityTaskStarted, for every activity after the signal, ms. */
  activityMs: number;
  /** Σ ActivityTaskStarted − ActivityTaskScheduled: handing each activity to a worker, ms. */
  activityQueueMs: number;
  /** Σ WorkflowTaskCompleted − WorkflowTaskScheduled after the signal: deciding the next step, ms. */
  workflowTaskMs: number;
  /** Per activity type, ms (summed if one ran twice). */
  activities: Record<string, number>;
}

/** Reads the workflow's own history: how much of its wall time went into activities. */
export function measureHistory(uploadId: string, history: History): OverheadSample {
  const events = history.events ?? [];
  const at = (e: (typeof events)[number]) => tsToMs(e.eventTime);
  const signaled = events.find((e) => e.workflowExecutionSignaledEventAttributes);
  const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes);
  if (!signaled || !completed) throw new Error(`workflow for ${uploadId} has no signal or did not complete`);
  const signaledAt = at(signaled);

  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  const activities: Record<string, number> = {};
  let activityMs = 0;
  let activityQueueMs = 0;
  let workflowTaskMs = 0;
  for (const e of events) {
    const decided = e.workflowTaskCompletedEventAttributes;
    const decidedFrom = decided && byId.get(String(decided.scheduledEventId));
    if (decidedFrom && at(decidedFrom) >= signaledAt) workflowTaskMs += at(e) - at(decidedFrom);

    const done = e.activityTaskCompletedEventAttributes;
    if (!done) continue;
    const started = byId.get(String(done.startedEventId));
    const scheduled = byId.get(String(done.scheduledEventId));
    if (!started || at(started) < signaledAt) continue;
    const ms = at(e) - at(started);
    const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? 'unknown';
    activities[name] = (activities[name] ?? 0) + ms;
    activityMs += ms;
    if (scheduled) activityQueueMs += at(started) - at(scheduled);
  }
  return { uploadId, wallMs: at(completed) - signaledAt, activityMs, activityQueueMs, workflowTaskMs, activities };
}

/** The histories of uploads that already finished (e.g. the throughput run's), measured. */
export async function measureUploads(temporal: Client, uploadIds: string[]): Promise<OverheadSample[]> {
  const samples: OverheadSample[] = [];
  for (const id of uploadIds) {
    const handle = temporal.workflow.getHandle(workflowIdFor(id));
    await handle.result();
    samples.push(measureHistory(id, await handle.fetchHistory()));
  }
  return samples;
}

/** One image alone through the platform, `runs` times in a row, each measured from its history. */
export async function runOverhead(opts: {
  api: IntakeApi;
  apiKey: string;
  webhooks: WebhookCounter;
  temporal: Client;
  jpeg: Buffer;
  runs: number;
  label: string;
}): Promise<OverheadSample[]> {
  const samples: OverheadSample[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const id = await opts.api.upload(opts.apiKey, uniqueCopy(opts.jpeg, `${opts.label} ${i}`), `overhead-${i}.jpg`, 'image/jpeg');
    await opts.webhooks.ready(id, 5 * 60_000);
    const handle = opts.temporal.workflow.getHandle(workflowIdFor(id));
    // The webhook is sent from the last activity; the history is complete once the result is.
    await handle.result();
    samples.push(measureHistory(id, await handle.fetchHistory()));
  }
  return samples;
}
