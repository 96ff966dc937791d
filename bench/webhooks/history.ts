import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { webhookEventWorkflowIdFor } from '../../workflows/contract';
import { median } from '../pipeline/report';

/** Where the time before an event's first attempts went, medians over a sample of events, ms. */
export interface DeliverySplit {
  events: number;
  /** Event created (payload timestamp) -> its delivery workflow started. */
  toWorkflowStart: number;
  /** Workflow started -> its first attempts scheduled (the first workflow task). */
  toScheduled: number;
  /** First attempts scheduled -> started on a worker (per event, the median of its endpoints). */
  dispatch: number;
  /** The slowest endpoint's dispatch, per event. */
  dispatchMax: number;
}

/**
 * Reads the delivery workflows' own histories for a sample of events: how long each took to start,
 * to schedule its first attempts, and for a worker to pick those up.
 */
export async function splitDeliveryTime(temporal: Client, events: Array<{ webhookId: string; eventAt: number }>): Promise<DeliverySplit> {
  const rows: Array<Omit<DeliverySplit, 'events'>> = [];
  for (const { webhookId, eventAt } of events) {
    const history = await temporal.workflow.getHandle(webhookEventWorkflowIdFor(webhookId)).fetchHistory();
    const all = history.events ?? [];
    const at = (e: (typeof all)[number]) => tsToMs(e.eventTime);
    const started = all.find((e) => e.workflowExecutionStartedEventAttributes);
    // The first attempts are the activities scheduled by the first workflow task that scheduled any.
    const firstScheduled = all.find((e) => e.activityTaskScheduledEventAttributes);
    if (!started || !firstScheduled) continue;
    const batch = all.filter(
      (e) => e.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId?.toString() === firstScheduled.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId?.toString(),
    );
    const batchIds = new Set(batch.map((e) => e.eventId?.toString()));
    const dispatches = all
      .filter((e) => batchIds.has(e.activityTaskStartedEventAttributes?.scheduledEventId?.toString()))
      .map((e) => at(e) - at(all.find((s) => s.eventId?.toString() === e.activityTaskStartedEventAttributes!.scheduledEventId?.toString())!));
    if (!dispatches.length) continue;
    rows.push({
      toWorkflowStart: at(started) - eventAt,
      toScheduled: at(firstScheduled) - at(started),
      dispatch: median(dispatches),
      dispatchMax: Math.max(...dispatches),
    });
  }
  const m = (f: (r: (typeof rows)[number]) => number) => (rows.length ? median(rows.map(f)) : NaN);
  return { events: rows.length, toWorkflowStart: m((r) => r.toWorkflowStart), toScheduled: m((r) => r.toScheduled), dispatch: m((r) => r.dispatch), dispatchMax: m((r) => r.dispatchMax) };
}
