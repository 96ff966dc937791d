import { createServer, Server } from 'node:http';
import { createServer as createTcpServer, Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../../test/support/platform';

/** The first verified receipt of one webhook-id at one consumer. */
export interface Receipt {
  uploadId: string;
  type: string;
  /** The payload's `timestamp`: the event's created_at, ms since the epoch. */
  eventAt: number;
  /** Date.now() when the body was in, ms. */
  receivedAt: number;
}

type Settle = (receipt: Receipt) => void;

/**
 * A tenant's webhook endpoint on loopback, as a consumer would write it: verifies every delivery
 * with the `standardwebhooks` library and answers 204, or 401 when the signature does not verify
 * (so Intake retries it). De-duplicates on webhook-id and counts what it dropped.
 */
export class WebhookConsumer {
  url = '';
  /** Set once the endpoint is registered (Intake hands the secret out then). */
  secret = '';
  readonly receipts = new Map<string, Receipt>();
  /** webhook-id -> further verified deliveries after the first. */
  readonly duplicates = new Map<string, number>();
  verifyFailures = 0;
  firstVerifyError = '';
  private server?: Server;
  private readonly outcomes = new Map<string, Receipt>();
  private readonly waiters = new Map<string, Settle>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const receivedAt = Date.now();
        const raw = Buffer.concat(chunks).toString('utf8');
        const id = String(req.headers['webhook-id']);
        try {
          new Webhook(this.secret).verify(raw, {
            'webhook-id': id,
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          });
        } catch (err) {
          this.verifyFailures++;
          this.firstVerifyError ||= `${id}: ${(err as Error).message}`;
          res.writeHead(401).end();
          return;
        }
        res.writeHead(204).end();
        if (this.receipts.has(id)) {
          this.duplicates.set(id, (this.duplicates.get(id) ?? 0) + 1);
          return;
        }
        const body = JSON.parse(raw) as { type: string; timestamp: string; data: { id: string } };
        const receipt = { uploadId: body.data.id, type: body.type, eventAt: Date.parse(body.timestamp), receivedAt };
        this.receipts.set(id, receipt);
        if (body.type === 'upload.processing') return;
        this.outcomes.set(receipt.uploadId, receipt);
        this.waiters.get(receipt.uploadId)?.(receipt);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
    return this;
  }

  /** The upload's outcome event here; rejects unless it is upload.ready, or if none comes in time. */
  ready(uploadId: string, timeoutMs: number): Promise<Receipt> {
    return new Promise<Receipt>((resolve, reject) => {
      const settle = (receipt: Receipt) => {
        clearTimeout(timer);
        this.waiters.delete(uploadId);
        if (receipt.type === 'upload.ready') resolve(receipt);
        else reject(new Error(`upload ${uploadId} ended with ${receipt.type}`));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(uploadId);
        reject(new Error(`no upload.ready for ${uploadId} within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      const known = this.outcomes.get(uploadId);
      if (known) settle(known);
      else this.waiters.set(uploadId, settle);
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export type DeadMode = 'refused' | 'reset';

/**
 * An endpoint that is down. `refused`: a loopback port nothing listens on (connection refused).
 * `reset`: a listener that accepts and resets every connection before any answer.
 */
export class DeadEndpoint {
  connections = 0;
  private constructor(
    readonly url: string,
    private readonly server?: TcpServer,
  ) {}

  static async start(mode: DeadMode): Promise<DeadEndpoint> {
    if (mode === 'refused') return new DeadEndpoint(`http://127.0.0.1:${await freePort()}/webhooks`);
    let dead: DeadEndpoint | undefined;
    const server = createTcpServer((socket) => {
      dead!.connections++;
      socket.resetAndDestroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dead = new DeadEndpoint(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, server);
    return dead;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
