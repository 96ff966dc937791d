import { ApiClient } from './api-client';
import { eventually } from './stack';
import { ReceivedWebhook, WebhookReceiver } from './webhook-receiver';

export interface TenantCredentials {
  id: string;
  apiKey: string;
  webhookSecret: string;
}

/** Creates a tenant through the admin API, as an operator would. */
export async function createTenant(apiUrl: string, adminToken: string, webhookUrl: string): Promise<TenantCredentials> {
  const res = await new ApiClient(apiUrl, adminToken).post('/v1/admin/tenants', { name: 'e2e', webhookUrl });
  if (res.status !== 201) throw new Error(`tenant creation answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** create -> PUT to the presigned URL -> complete, through the typed client (clients/ts). */
export async function uploadFile(api: ApiClient, file: string | Buffer, contentType: string, { filename = 'upload.bin' } = {}): Promise<string> {
  const source = typeof file === 'string' ? file : new Blob([new Uint8Array(file)]);
  return api.typed().uploadFile(source, { filename, contentType, mode: 'put' });
}

/** The first webhook that tells how the upload ended (`upload.processing` is not one). */
export function webhookFor(receiver: WebhookReceiver, uploadId: string, timeoutMs = 60_000): Promise<ReceivedWebhook> {
  return eventually(() => receiver.outcomes(uploadId)[0], timeoutMs, `the webhook for upload ${uploadId}`);
}
