import { readFile } from 'node:fs/promises';
import { ApiClient, putPresigned } from './api-client';
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

/** create -> PUT to the presigned URL -> complete: the whole client side of an upload. */
export async function uploadFile(
  api: ApiClient,
  file: string | Buffer,
  contentType: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const bytes = typeof file === 'string' ? await readFile(file) : file;
  const created = await api.post('/v1/uploads', { filename: 'upload.bin', contentType, size: bytes.length, ...extra });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
  const put = await putPresigned(created.body.upload.url, created.body.upload.headers, bytes);
  if (put.status !== 200) throw new Error(`storage refused the PUT (${put.status}): ${put.body}`);
  const completed = await api.post(`/v1/uploads/${created.body.id}/complete`);
  if (completed.status !== 202) throw new Error(`complete answered ${completed.status}: ${JSON.stringify(completed.body)}`);
  return created.body.id;
}

/** The first webhook that tells how the upload ended (`upload.processing` is not one). */
export function webhookFor(receiver: WebhookReceiver, uploadId: string, timeoutMs = 60_000): Promise<ReceivedWebhook> {
  return eventually(() => receiver.outcomes(uploadId)[0], timeoutMs, `the webhook for upload ${uploadId}`);
}
