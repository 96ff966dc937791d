import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, LogEntry } from '@temporalio/worker';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { createActivities } from '../../activities';
import { AddressPolicy } from '../../src/net/address-policy';
import { guardedPost } from '../../src/net/guarded-post';
import { Resolver, UrlGuard } from '../../src/net/url-guard';
import { WebhookDeliveryError, WebhookSender } from '../../src/webhooks/webhook-sender';
import { RealDeps, realDeps, seedUpload } from '../support/real-deps';

/** A real HTTP server on 127.0.0.1 that counts TCP connections, so "never connected" is provable. */
class CountingServer {
  connections = 0;
  readonly requests: IncomingMessage[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end()) {
    this.server = createServer((req, res) => {
      this.requests.push(req);
      handler(req, res);
    });
    this.server.on('connection', (socket: Socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(host = '127.0.0.1', path = '/hook'): string {
    return `http://${host}:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const loopbackAllowed = () => new AddressPolicy(['127.0.0.1/32']);
const message = (url: string) => ({ id: 'msg_test', url, secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`, body: { ok: true } });

/** Stands in for DNS: `hooks.intake.invalid` exists only here, so the system resolver could never find it. */
function fakeDns(answers: Record<string, string[]>) {
  const asked: string[] = [];
  const resolve: Resolver = async (host) => {
    asked.push(host);
    const found = answers[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, asked };
}

describe('webhooks cannot reach inside (real HTTP listeners on 127.0.0.1, PostgreSQL, S3)', () => {
  let deps: RealDeps;
  const servers: CountingServer[] = [];
  const listen = async (handler?: ConstructorParameters<typeof CountingServer>[0]) => {
    const server = await new CountingServer(handler).start();
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    deps = await realDeps();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await deps.close();
  });

  /** Runs notifyTenant with a sender that has no allow-list (production's default), capturing its log. */
  async function notifyWithoutAllowList(webhookUrl: string) {
    const acts = createActivities({ ...deps, webhooks: new WebhookSender(5_000) });
    const { upload, tenantId } = await seedUpload(deps, { contentType: 'text/plain', body: Buffer.from('x'), webhookUrl });
    const logs: LogEntry[] = [];
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN', (entry) => logs.push(entry)) });
    const err = await env.run(acts.notifyTenant, { uploadId: upload.id, event: 'upload.ready' as const }).catch((e: unknown) => e);
    return { err: err as ApplicationFailure, logs, uploadId: upload.id, tenantId };
  }

  it('refuses a host name that resolves to loopback (localhost): retryable, logged, and no connection is made', async () => {
    const receiver = await listen();
    const { err, logs, uploadId, tenantId } = await notifyWithoutAllowList(receiver.url('localhost'));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect([err.type, err.nonRetryable]).toEqual(['WEBHOOK_URL_REFUSED', false]);
    expect(err.message).toBe(
      `POST http://localhost:${receiver.port}/hook failed: refused: the host resolves to a private, loopback, link-local or otherwise non-public address`,
    );
    expect(receiver.connections).toBe(0);
    const line = logs.find((l) => l.message === 'webhook URL refused');
    expect(line?.meta).toMatchObject({ uploadId, tenantId, reason: 'refused', host: 'localhost' });
    expect(JSON.stringify(line?.meta)).toMatch(/"category":"loopback"/);
  });

  it('refuses a private IP literal for good (non-retryable) without connecting', async () => {
    const receiver = await listen();
    const { err } = await notifyWithoutAllowList(receiver.url('127.0.0.1'));
    expect([err.type, err.nonRetryable]).toEqual(['WEBHOOK_URL_REFUSED', true]);
    expect(receiver.connections).toBe(0);
  });

  it('reaches an allow-listed address, and nothing next to it', async () => {
    const receiver = await listen();
    const sender = new WebhookSender(5_000, new UrlGuard(new AddressPolicy(['127.0.0.2/32'])));
    await expect(sender.send(message(receiver.url()))).rejects.toMatchObject({ refused: true });
    expect(receiver.connections).toBe(0);
    await expect(WebhookSender.fromConfig(deps.config).send(message(receiver.url()))).resolves.toEqual({ status: 204 });
    expect(receiver.connections).toBe(1);
  });

  it('never follows a redirect: a 302 fails the delivery and its target sees no connection', async () => {
    const target = await listen();
    const redirector = await listen((_req, res) => res.writeHead(302, { location: target.url() }).end());
    const sender = new WebhookSender(5_000, new UrlGuard(loopbackAllowed()));
    const err = await sender.send(message(redirector.url())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookDeliveryError);
    expect(err).toMatchObject({ status: 302, refused: false });
    expect((err as Error).message).toMatch(/answered 302; redirects are not followed/);
    expect(redirector.requests).toHaveLength(1);
    expect(target.connections).toBe(0);
  });

  it('reads at most 4 KiB of a huge response and hangs up before the endpoint can send the rest', async () => {
    const TOTAL = 50 * 1024 * 1024;
    let written = 0;
    let finished = false;
    const closed = deferred<void>();
    const server = await listen(async (_req, res) => {
      res.on('close', () => closed.resolve());
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      // Respects backpressure, so it gets ahead of the reader only by what the socket buffers hold.
      while (written < TOTAL && !res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
      finished = !res.destroyed;
      res.end();
    });
    const response = await guardedPost(new UrlGuard(loopbackAllowed()), server.url(), {
      headers: { 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: 60_000,
      maxResponseBytes: 4096,
    });
    expect(response).toMatchObject({ status: 200, truncated: true });
    expect(response.body.length).toBe(4096);
    await closed.promise; // the endpoint saw the connection close ...
    expect(finished).toBe(false); // ... before it could write everything
    expect(written).toBeLessThan(TOTAL);
  });

  it('connects to the address it checked: DNS is asked once and its answer is the one used', async () => {
    const receiver = await listen();
    const dns = fakeDns({ 'hooks.intake.invalid': ['127.0.0.1'] });
    const sender = new WebhookSender(5_000, new UrlGuard(loopbackAllowed(), dns.resolve));
    // The system resolver cannot find *.invalid: reaching the receiver proves the pinned answer was used.
    await expect(sender.send(message(receiver.url('hooks.intake.invalid')))).resolves.toEqual({ status: 204 });
    expect(dns.asked).toEqual(['hooks.intake.invalid']);
    expect(receiver.requests[0]!.headers.host).toBe(`hooks.intake.invalid:${receiver.port}`);
  });

  it('a DNS answer that mixes public and private addresses is refused before any connection', async () => {
    const receiver = await listen();
    const dns = fakeDns({ 'hooks.intake.invalid': ['93.184.215.14', '127.0.0.1'] });
    const sender = new WebhookSender(5_000, new UrlGuard(new AddressPolicy(), dns.resolve));
    await expect(sender.send(message(receiver.url('hooks.intake.invalid')))).rejects.toMatchObject({ refused: true, permanent: false });
    expect(receiver.connections).toBe(0);
  });

  it('says why a delivery failed without naming the address or port it resolved to', async () => {
    const hangUp = await listen((req) => req.socket.destroy());
    const dns = fakeDns({ 'hooks.intake.invalid': ['127.0.0.1'] });
    const sender = new WebhookSender(5_000, new UrlGuard(loopbackAllowed(), dns.resolve));
    const err = (await sender.send(message(`http://hooks.intake.invalid:${hangUp.port}/hook`)).catch((e: unknown) => e)) as WebhookDeliveryError;
    expect(err.message).toBe(`POST http://hooks.intake.invalid:${hangUp.port}/hook failed: connection reset`);
    expect(err.message).not.toContain('127.0.0.1');
    expect(err.logFields).toMatchObject({ address: '127.0.0.1', reason: 'network' });
  });

  it('gives up on an endpoint that never answers, after the per-attempt timeout', async () => {
    const silent = await listen(() => undefined);
    const sender = new WebhookSender(300, new UrlGuard(loopbackAllowed()));
    const err = await sender.send(message(silent.url())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookDeliveryError);
    expect((err as Error).message).toBe(`POST ${silent.url()} failed: timed out after 300 ms`);
    expect(silent.requests).toHaveLength(1);
  });
});

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
