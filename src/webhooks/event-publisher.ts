import { Inject, Injectable } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { AppConfig, CONFIG } from '../config/config';
import { OutputLinks } from '../outputs/output-links';
import { UploadStore } from '../uploads/upload-store';
import { presentUpload } from '../uploads/upload-view';
import { TASK_QUEUES, WebhookDeliveryInput, WebhookEvent, webhookEventWorkflowIdFor } from '../../workflows/contract';
import { WebhookDeliveryStore } from './delivery-store';

/**
 * The `webhook-id` of an upload's event: derived from the upload, the type and the output
 * generation only, so every attempt, every endpoint and any re-run of the step that publishes it
 * carries the same id, while an admin rerun (a new generation, see src/admin) is a new event.
 */
export function webhookIdFor(uploadId: string, event: WebhookEvent, generation = 0): string {
  return `msg_${uploadId}_${event.replace('upload.', '')}${generation ? `_${generation}` : ''}`;
}

/**
 * Turns an upload's change into an event: the status object as it is now (download URLs left out:
 * each attempt presigns fresh ones), one delivery per endpoint that wants it, and the workflow that
 * delivers them on the retry schedule. Every step is idempotent, so publishing twice is publishing
 * once: the event is recorded once by its id and its workflow id refuses a second start.
 */
@Injectable()
export class WebhookPublisher {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(OutputLinks) private readonly links: OutputLinks,
    @Inject(WebhookDeliveryStore) private readonly deliveries: WebhookDeliveryStore,
    @Inject(Client) private readonly temporal: Client,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async publish(uploadId: string, type: WebhookEvent, generation?: number): Promise<{ eventId: string; deliveries: number }> {
    const { eventId, deliveryIds } = await this.record(uploadId, type, generation);
    if (deliveryIds.length) await this.startDelivery({ eventId, deliveryIds, scheduleMs: this.config.WEBHOOK_RETRY_SCHEDULE });
    return { eventId, deliveries: deliveryIds.length };
  }

  /** The event and its deliveries, recorded (once); nothing is sent yet. */
  async record(uploadId: string, type: WebhookEvent, generation?: number): Promise<{ eventId: string; deliveryIds: string[] }> {
    const upload = await this.uploads.get(uploadId);
    const outputs = await this.uploads.listOutputs(uploadId);
    const view = await presentUpload(upload, outputs, this.links);
    const eventId = webhookIdFor(uploadId, type, generation);
    const deliveryIds = await this.deliveries.recordEvent({
      id: eventId,
      tenantId: upload.tenantId,
      uploadId,
      type,
      payload: { ...view, outputs: view.outputs.map(({ url: _url, ...rest }) => rest) },
      outputKeys: outputs.map((o) => ({ name: o.name, key: o.objectKey })),
    });
    return { eventId, deliveryIds };
  }

  /**
   * Starts delivering; false when a workflow with that id exists already. An event's workflow
   * never runs twice (a re-run of the step that published it is refused); a replay's may run again
   * once the previous one has finished.
   */
  async startDelivery(
    input: WebhookDeliveryInput,
    workflowId = webhookEventWorkflowIdFor(input.eventId),
    workflowIdReusePolicy: WorkflowIdReusePolicy = WorkflowIdReusePolicy.REJECT_DUPLICATE,
  ): Promise<boolean> {
    try {
      await this.temporal.workflow.start('webhookDeliveryWorkflow', {
        taskQueue: TASK_QUEUES.webhooks,
        workflowId,
        args: [input],
        workflowIdReusePolicy,
      });
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }
}
