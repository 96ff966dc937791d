import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import type { AppConfig } from '../../src/config/config';
import { ApiClient } from './api-client';
import { PlatformProcess } from './platform';

/** A response with its headers (ApiClient keeps only the body). */
export interface FullResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = any>(baseUrl: string, method: string, path: string, secret?: string, body?: unknown): Promise<FullResponse<T>> {
  const headers: Record<string, string> = {};
  if (secret) headers.authorization = `Bearer ${secret}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** The operator sets a tenant's whole policy. */
export async function setPolicy(apiUrl: string, adminToken: string, tenantId: string, policy: Record<string, unknown>): Promise<void> {
  const res = await new ApiClient(apiUrl, adminToken).call('PATCH', `/v1/admin/tenants/${tenantId}`, { policy });
  if (res.status !== 200) throw new Error(`policy update answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/** A tenant's backend mints an upload token for a browser. */
export async function mintToken(api: ApiClient, options: Record<string, unknown> = {}): Promise<string> {
  const res = await api.post('/v1/upload-tokens', options);
  if (res.status !== 201) throw new Error(`token creation answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.token;
}

/** What the bucket holds under some prefixes: objects and unfinished multipart uploads. */
export class BucketInspector {
  private readonly s3: S3Client;

  constructor(private readonly config: AppConfig) {
    this.s3 = new S3Client({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    });
  }

  async keys(prefix: string): Promise<string[]> {
    const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: this.config.S3_BUCKET, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key!);
  }

  async multipartUploads(prefix: string): Promise<string[]> {
    const listed = await this.s3.send(new ListMultipartUploadsCommand({ Bucket: this.config.S3_BUCKET, Prefix: prefix }));
    return (listed.Uploads ?? []).map((u) => u.Key!);
  }

  /** An unfinished multipart upload with one part, as a client in the middle of sending would leave. */
  async startMultipart(key: string): Promise<void> {
    const { UploadId } = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.config.S3_BUCKET, Key: key }));
    await this.s3.send(new UploadPartCommand({ Bucket: this.config.S3_BUCKET, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 7) }));
  }

  /** Every object stored for an upload: incoming (and its siblings), original, outputs. */
  async uploadKeys(tenantId: string, uploadId: string): Promise<string[]> {
    return [...(await this.keys(`incoming/${tenantId}/${uploadId}`)), ...(await this.keys(`uploads/${tenantId}/${uploadId}/`))];
  }

  close(): void {
    this.s3.destroy();
  }
}

/**
 * A worker process, tracked before it is ready so a failed start still gets stopped, and given
 * longer than startWorker's 30 s to pass its clamd self-test on a busy machine.
 */
export async function startTrackedWorker(env: NodeJS.ProcessEnv, processes: PlatformProcess[], timeoutMs = 120_000): Promise<PlatformProcess> {
  // "worker started" is an info line; the test stack's default level is warn.
  const worker = PlatformProcess.spawn('worker', 'worker', { LOG_LEVEL: 'info', ...env });
  processes.push(worker);
  await worker.waitForLog(/"msg":"worker started"/, timeoutMs);
  return worker;
}
