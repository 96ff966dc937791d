import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/database/data-source';
import { ObjectStorage } from '../../src/storage/object-storage';
import type { WebhookEvent } from '../../workflows/contract';
import { webhookIdFor } from '../../src/webhooks/event-publisher';
import { eventually, testConfig } from './stack';
import type { ReceivedWebhook, WebhookReceiver } from './webhook-receiver';

/** What the admin rerun specs look at beside the HTTP API: output rows and the objects they name. */
export class RerunProbe {
  private constructor(
    readonly db: DataSource,
    readonly storage: ObjectStorage,
  ) {}

  static async open(): Promise<RerunProbe> {
    const config = testConfig();
    return new RerunProbe(await createDataSource(config.DATABASE_URL, 2).initialize(), new ObjectStorage(config));
  }

  /** Output name -> object key of every generation's rows, and the upload's generations. */
  async outputs(uploadId: string): Promise<{ keys: Record<string, string>; generation: number; next: number | null }> {
    const rows: Array<{ name: string; object_key: string }> = await this.db.query(
      `SELECT name, object_key FROM upload_outputs WHERE upload_id = $1 ORDER BY generation, name`,
      [uploadId],
    );
    const [upload]: Array<{ generation: number; next_generation: number | null }> = await this.db.query(
      `SELECT generation, next_generation FROM uploads WHERE id = $1`,
      [uploadId],
    );
    return { keys: Object.fromEntries(rows.map((r) => [r.name, r.object_key])), generation: upload!.generation, next: upload!.next_generation };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.storage.head(key)) !== null;
  }

  async close(): Promise<void> {
    this.storage.destroy();
    await this.db.destroy();
  }
}

/** The delivery of one event of one generation (a rerun's events carry its generation in their id). */
export function eventOf(receiver: WebhookReceiver, uploadId: string, event: WebhookEvent, generation = 0, timeoutMs = 120_000): Promise<ReceivedWebhook> {
  const id = webhookIdFor(uploadId, event, generation);
  return eventually(() => receiver.received.find((w) => w.id === id), timeoutMs, `webhook ${id}`);
}
