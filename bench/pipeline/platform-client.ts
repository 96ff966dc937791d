import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CreatedTenant } from '../../src/tenants/tenants.controller';
import type { CreatedUpload } from '../../src/uploads/uploads.dto';
import { putPresigned } from '../../test/support/api-client';

export interface TenantCredentials {
  apiKey: string;
}

/** The calls a tenant's backend makes, over plain HTTP. */
export class IntakeApi {
  constructor(readonly baseUrl: string) {}

  async createTenant(adminToken: string, name: string, webhookUrl: string): Promise<TenantCredentials> {
    return this.call<CreatedTenant>(adminToken, 'POST', '/v1/admin/tenants', 201, { name, webhookUrl });
  }

  createUpload(apiKey: string, filename: string, contentType: string, size: number): Promise<CreatedUpload> {
    return this.call<CreatedUpload>(apiKey, 'POST', '/v1/uploads', 201, { filename, contentType, size });
  }

  async complete(apiKey: string, uploadId: string): Promise<void> {
    await this.call(apiKey, 'POST', `/v1/uploads/${uploadId}/complete`, 202);
  }

  /** create -> PUT to the presigned URL -> complete; resolves with the upload id once completed. */
  async upload(apiKey: string, bytes: Buffer, filename: string, contentType: string): Promise<string> {
    const created = await this.createUpload(apiKey, filename, contentType, bytes.length);
    if (created.upload.method !== 'PUT') throw new Error(`expected a PUT upload, got ${created.upload.method}`);
    const put = await putPresigned(created.upload.url, created.upload.headers, bytes);
    if (put.status !== 200) throw new Error(`storage refused the PUT (${put.status}): ${put.body}`);
    await this.complete(apiKey, created.id);
    return created.id;
  }

  private async call<T>(token: string, method: string, path: string, expect: number, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== expect) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
}

export interface Outcome {
  type: string;
  /** performance.now() when the webhook arrived. */
  receivedAt: number;
  error: unknown;
}

/**
 * The tenant's webhook endpoint on loopback. Counts deliveries (a retried one, same webhook-id,
 * counts once) and lets the bench wait for the outcome of one upload.
 */
export class WebhookCounter {
  deliveries = 0;
  duplicates = 0;
  url = '';
  private server?: Server;
  private readonly seen = new Set<string>();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly waiters = new Map<string, (outcome: Outcome) => void>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const receivedAt = performance.now();
        res.writeHead(204).end();
        const id = String(req.headers['webhook-id']);
        if (this.seen.has(id)) {
          this.duplicates++;
          return;
        }
        this.seen.add(id);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; data: { id: string; error: unknown } };
        // Only how an upload ended counts: upload.processing comes first and says nothing of it.
        if (body.type === 'upload.processing') return;
        this.deliveries++;
        const outcome = { type: body.type, receivedAt, error: body.data.error };
        this.outcomes.set(body.data.id, outcome);
        this.waiters.get(body.data.id)?.(outcome);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
    return this;
  }

  /** The upload's outcome webhook; rejects unless it is upload.ready, or if none comes within timeoutMs. */
  ready(uploadId: string, timeoutMs: number): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const settle = (outcome: Outcome) => {
        clearTimeout(timer);
        this.waiters.delete(uploadId);
        if (outcome.type === 'upload.ready') resolve(outcome);
        else reject(new Error(`upload ${uploadId}: ${outcome.type} ${JSON.stringify(outcome.error)}`));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(uploadId);
        reject(new Error(`no webhook for upload ${uploadId} within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      const known = this.outcomes.get(uploadId);
      if (known) settle(known);
      else this.waiters.set(uploadId, settle);
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
