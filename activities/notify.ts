import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { presentUpload } from '../src/uploads/upload-view';
import { WebhookDeliveryError } from '../src/webhooks/webhook-sender';
import type { WebhookEvent } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { about, activityLog } from './support';

/** Derived from the upload and event only, so every retry (and any replay) sends the same id. */
export function webhookIdFor(uploadId: string, event: WebhookEvent): string {
  return `msg_${uploadId}_${event.replace('upload.', '')}`;
}

/** The endpoint's URL was refused by the outbound guard (a non-public address): nothing was sent. */
export const WEBHOOK_URL_REFUSED = 'WEBHOOK_URL_REFUSED';

/**
 * Step 6: a signed Standard Webhooks POST to the tenant; non-2xx throws so Temporal retries with
 * backoff. A URL the guard refuses is never connected to. If the URL itself is the problem (an IP
 * literal that is private, a bad scheme), retrying cannot help: non-retryable. If its host name
 * resolved to a private address, it is retried with the normal backoff, because DNS may change;
 * every attempt checks again and still never connects to a private address.
 */
export function notifyActivities({ uploads, tenants, storage, webhooks, config }: ActivityDeps) {
  return {
    async notifyTenant({ uploadId, event }: { uploadId: string; event: WebhookEvent }): Promise<{ delivered: boolean }> {
      const upload = await uploads.get(uploadId);
      const tenant = await tenants.findById(upload.tenantId);
      if (!tenant?.webhookUrl) return { delivered: false };

      const data = await presentUpload(upload, await uploads.listOutputs(uploadId), storage, config.DOWNLOAD_URL_TTL_SECONDS);
      const id = webhookIdFor(uploadId, event);
      const attempt = Context.current().info.attempt;
      try {
        const { status } = await webhooks.send({
          id,
          url: tenant.webhookUrl,
          secret: tenant.webhookSecret,
          body: { type: event, timestamp: data.updatedAt, data },
        });
        activityLog().info('webhook delivered', { ...about(upload), event, webhookId: id, status, attempt });
        return { delivered: true };
      } catch (err) {
        if (!(err instanceof WebhookDeliveryError)) throw err;
        const type = err.refused ? WEBHOOK_URL_REFUSED : 'WEBHOOK_DELIVERY_FAILED';
        // Resolved addresses and ports go to our log only; the failure's message names the tenant's URL.
        activityLog().warn(err.refused ? 'webhook URL refused' : 'webhook delivery failed', {
          ...err.logFields,
          ...about(upload),
          event,
          webhookId: id,
          attempt,
          error: err.message,
        });
        const details = { status: err.status };
        throw err.permanent
          ? ApplicationFailure.nonRetryable(err.message, type, details)
          : ApplicationFailure.retryable(err.message, type, details);
      }
    },
  };
}
