import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

/** One activity as its workflow history tells it: the last attempt's start and how it closed. */
export interface ActivitySpan {
  type: string;
  activityId: string;
  scheduledMs: number;
  /** The last attempt's ActivityTaskStarted (Temporal writes only that one for a retried activity). */
  startedMs: number;
  closedMs: number;
  attempt: number;
  /** "<pid>@<host>" of the worker that ran the last attempt. */
  identity: string;
  input: unknown;
}

export interface UploadTimeline {
  /** WorkflowExecutionSignaled (the complete call) and WorkflowExecutionCompleted, epoch ms. */
  signaledMs: number;
  completedMs: number;
  activities: ActivitySpan[];
}

export function readTimeline(history: History): UploadTimeline {
  const events = history.events ?? [];
  const at = (e: HistoryEvent) => tsToMs(e.eventTime);
  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  const signaled = events.find((e) => e.workflowExecutionSignaledEventAttributes);
  const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes);
  if (!signaled || !completed) throw new Error('the workflow has no complete signal or did not complete');
  const activities: ActivitySpan[] = [];
  for (const e of events) {
    const closed =
      e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (!closed) continue;
    const scheduled = byId.get(String(closed.scheduledEventId));
    const started = byId.get(String(closed.startedEventId));
    const attrs = scheduled?.activityTaskScheduledEventAttributes;
    if (!scheduled || !started || !attrs) continue;
    const payload = attrs.input?.payloads?.[0];
    activities.push({
      type: attrs.activityType?.name ?? 'unknown',
      activityId: attrs.activityId ?? '',
      scheduledMs: at(scheduled),
      startedMs: at(started),
      closedMs: at(e),
      attempt: started.activityTaskStartedEventAttributes?.attempt ?? 1,
      identity: started.activityTaskStartedEventAttributes?.identity ?? '',
      input: payload ? defaultPayloadConverter.fromPayload(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]) : undefined,
    });
  }
  return { signaledMs: at(signaled), completedMs: at(completed), activities };
}

export async function timelineOf(temporal: Client, workflowId: string): Promise<UploadTimeline> {
  const handle = temporal.workflow.getHandle(workflowId);
  await handle.result(); // the whole history, up to its completion
  return readTimeline(await handle.fetchHistory());
}

/** Where an upload's time went, per activity type in the order they first ran, seconds. */
export interface StageTime {
  type: string;
  count: number;
  /** The first of them scheduled -> the last of them closed: the stage's share of the wall time. */
  spanSeconds: number;
  /** Σ started -> closed: the work itself (more than the span when they ran in parallel). */
  busySeconds: number;
}

export function stageTimes(t: UploadTimeline): StageTime[] {
  const types = [...new Set([...t.activities].sort((a, b) => a.scheduledMs - b.scheduledMs).map((a) => a.type))];
  return types.map((type) => {
    const of = t.activities.filter((a) => a.type === type);
    return {
      type,
      count: of.length,
      spanSeconds: (Math.max(...of.map((a) => a.closedMs)) - Math.min(...of.map((a) => a.scheduledMs))) / 1000,
      busySeconds: of.reduce((sum, a) => sum + a.closedMs - a.startedMs, 0) / 1000,
    };
  });
}

export const wallSeconds = (t: UploadTimeline) => (t.completedMs - t.signaledMs) / 1000;

export const segmentsOf = (t: UploadTimeline) => t.activities.filter((a) => a.type === 'transcodeSegment');
