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
  /** Deliveries it accepted (answered 2xx). */
  readonly received: ReceivedWebhook[] = [];
  /** Every request, accepted or not, in arrival order. */
  readonly requests: ReceivedWebhook[] = [];
  /** How many of the next deliveries to answer with 500 (and not record as received). */
  failNext = 0;
  /** Statuses for the next requests, in order (e.g. [500, 500], [410]); then 204 again. */
  answers: number[] = [];
  /** What non-204 answers carry (e.g. a big body, to see what the delivery log keeps of it). */
  answerBody?: string;
  /** The Location of 3xx answers: a redirect the sender must not follow. */
  redirectTo?: string;
  /** TCP connections accepted so far. */
  connections = 0;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const hook = { id: String(req.headers['webhook-id']), headers: req.headers, raw, body: JSON.parse(raw) };
        this.requests.push(hook);
        const status = this.failNext > 0 ? (this.failNext--, 500) : (this.answers.shift() ?? 204);
        if (status >= 200 && status <= 299) this.received.push(hook);
        const headers = status >= 300 && status <= 399 && this.redirectTo ? { location: this.redirectTo } : {};
        res.writeHead(status, headers).end(status === 204 ? undefined : (this.answerBody ?? `answered ${status}`));
      });
    });
    this.server.on('connection', () => this.connections++);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
    return this;
  }

  /** Accepted deliveries about one upload. */
  forUpload(uploadId: string): ReceivedWebhook[] {
    return this.received.filter((w) => w.body.data?.id === uploadId);
  }

  /** Accepted deliveries that tell how an upload ended (everything but `upload.processing`). */
  outcomes(uploadId: string): ReceivedWebhook[] {
    return this.forUpload(uploadId).filter((w) => w.body.type !== 'upload.processing');
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
