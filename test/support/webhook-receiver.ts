import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  id: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: { type: string; timestamp: string; data: { id: string; [k: string]: unknown } };
}

/** A tenant's webhook endpoint on loopback: records every delivery; can be told to fail. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** How many of the next deliveries to answer with 500 (and not record). */
  failNext = 0;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (this.failNext > 0) {
          this.failNext--;
          res.writeHead(500).end();
          return;
        }
        this.received.push({ id: String(req.headers['webhook-id']), headers: req.headers, raw, body: JSON.parse(raw) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
    return this;
  }

  /** Deliveries about one upload. */
  forUpload(uploadId: string): ReceivedWebhook[] {
    return this.received.filter((w) => w.body.data?.id === uploadId);
  }

  /** Verifies with the `standardwebhooks` library, as a consumer would; throws on a bad signature. */
  static verify(hook: ReceivedWebhook, secret: string): unknown {
    return new Webhook(secret).verify(hook.raw, {
      'webhook-id': String(hook.headers['webhook-id']),
      'webhook-timestamp': String(hook.headers['webhook-timestamp']),
      'webhook-signature': String(hook.headers['webhook-signature']),
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
