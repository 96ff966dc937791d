import type { Client } from '@temporalio/client';
import { basename } from 'node:path';
import { workflowIdFor } from '../../workflows/contract';
import { IntakeApi, WebhookCounter } from '../pipeline/platform-client';
import { putFileRange } from '../upload/transfers';
import type { Clip } from './clips';
import { timelineOf, UploadTimeline } from './history';

/**
 * A tenant whose webhooks come back to this process (answered, not read: the workflow's result says
 * how an upload ended), and the client side of its uploads.
 */
export class VideoUploader {
  private constructor(
    private readonly api: IntakeApi,
    private readonly apiKey: string,
    private readonly webhooks: WebhookCounter,
    private readonly temporal: Client,
  ) {}

  static async register(apiUrl: string, adminToken: string, temporal: Client): Promise<VideoUploader> {
    const webhooks = await new WebhookCounter().start();
    const api = new IntakeApi(apiUrl);
    const { apiKey } = await api.createTenant(adminToken, 'video bench', webhooks.url);
    return new VideoUploader(api, apiKey, webhooks, temporal);
  }

  /** create -> PUT (streamed from disk: a 2 GB file is never held in memory) -> complete. */
  async start(clip: Clip): Promise<string> {
    const created = await this.api.createUpload(this.apiKey, basename(clip.path), 'video/mp4', clip.bytes);
    if (created.upload.method !== 'PUT') throw new Error(`expected a PUT upload, got ${created.upload.method}`);
    await putFileRange(created.upload.url, created.upload.headers, clip.path, 0, clip.bytes);
    await this.api.complete(this.apiKey, created.id);
    return created.id;
  }

  /** Waits for the workflow to end `ready` (anything else fails the bench) and reads its history. */
  async finished(uploadId: string, timeoutMs: number): Promise<UploadTimeline> {
    const handle = this.temporal.workflow.getHandle(workflowIdFor(uploadId));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`upload ${uploadId} not finished within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      const outcome = (await Promise.race([handle.result(), timeout])) as { status: string; error: unknown };
      if (outcome.status !== 'ready') throw new Error(`upload ${uploadId} ended ${outcome.status}: ${JSON.stringify(outcome.error)}`);
    } finally {
      clearTimeout(timer);
    }
    return timelineOf(this.temporal, workflowIdFor(uploadId));
  }

  async close(): Promise<void> {
    await this.webhooks.stop();
  }
}
