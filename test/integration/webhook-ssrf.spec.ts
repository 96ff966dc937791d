import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { AddressPolicy } from '../../src/net/address-policy';
import { guardedPost } from '../../src/net/guarded-post';
import { Resolver, UrlGuard } from '../../src/net/url-guard';
import { DeliveryAttempts } from '../../src/webhooks/delivery-attempts';
import { WebhookPublisher } from '../../src/webhooks/event-publisher';
import { WebhookSender } from '../../src/webhooks/webhook-sender';
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
const message = (url: string) => ({ id: 'msg_test', url, secrets: [`whsec_${Buffer.alloc(32, 7).toString('base64')}`], body: { ok: true } });

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

  /**
   * One delivery attempt of an `upload.ready` event, made as the worker makes it but with no
   * allow-list (production's default); returns its log lines and the delivery as recorded.
   */
  async function attemptWithoutAllowList(webhookUrl: string) {
    const { upload, tenantId } = await seedUpload(deps, { contentType: 'text/plain', body: Buffer.from('x'), webhookUrl });
    const publisher = new WebhookPublisher(deps.uploads, deps.links, deps.deliveries, deps.temporal, deps.config);
    const { deliveryIds } = await publisher.record(upload.id, 'upload.ready');
    const attempts = new DeliveryAttempts(deps.deliveries, deps.links, { ...deps.config, WEBHOOK_ALLOWED_PRIVATE_HOSTS: [] });
    const logs: Array<{ message: string; meta: Record<string, unknown> }> = [];
    const log = { info: () => undefined, warn: (message: string, meta: Record<string, unknown>) => logs.push({ message, meta }) };
    const outcome = await attempts.attempt({ deliveryId: deliveryIds[0]!, ref: 'spec#1', nextDelayMs: 1000 }, log);
    const delivery = (await deps.deliveries.find(tenantId, deliveryIds[0]!))!;
    return { outcome, delivery, logs, uploadId: upload.id, tenantId };
  }

  it('refuses a host name that resolves to loopback (localhost): retried on schedule, logged, and no connection is made', async () => {
    const receiver = await listen();
    const { outcome, delivery, logs, uploadId, tenantId } = await attemptWithoutAllowList(receiver.url('localhost'));
    expect(outcome).toEqual({ next: 'retry', status: 'pending' });
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]).toMatchObject({
      statusCode: null,
      error: `POST http://localhost:${receiver.port}/hook failed: refused: the host resolves to a private, loopback, link-local or otherwise non-public address`,
    });
    expect(receiver.connections).toBe(0);
    const line = logs.find((l) => l.message === 'webhook attempt failed');
    expect(line?.meta).toMatchObject({ uploadId, tenantId, reason: 'refused', host: 'localhost' });
    expect(JSON.stringify(line?.meta)).toMatch(/"category":"loopback"/);
  });

  it('refuses a private IP literal for good (the delivery fails at once) without connecting', async () => {
    const receiver = await listen();
    const { outcome, delivery } = await attemptWithoutAllowList(receiver.url('127.0.0.1'));
    expect(outcome).toEqual({ next: 'done', status: 'failed' });
    expect([delivery.status, delivery.failureReason]).toEqual(['failed', 'url_refused']);
    expect(receiver.connections).toBe(0);
  });

  it('reaches an allow-listed address, and nothing next to it', async () => {
    const receiver = await listen();
    const sender = new WebhookSender(5_000, new UrlGuard(new AddressPolicy(['127.0.0.2/32'])));
    await expect(sender.send(message(receiver.url()))).resolves.toMatchObject({ ok: false, refused: true });
    expect(receiver.connections).toBe(0);
    await expect(WebhookSender.fromConfig(deps.config).send(message(receiver.url()))).resolves.toMatchObject({ ok: true, status: 204 });
    expect(receiver.connections).toBe(1);
  });

  it('never follows a redirect: a 302 fails the delivery and its target sees no connection', async () => {
    const target = await listen();
    const redirector = await listen((_req, res) => res.writeHead(302, { location: target.url() }).end());
    const sender = new WebhookSender(5_000, new UrlGuard(loopbackAllowed()));
    const result = await sender.send(message(redirector.url()));
    expect(result).toMatchObject({ ok: false, status: 302, refused: false });
    expect(result.error).toMatch(/answered 302; redirects are not followed/);
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
    await expect(sender.send(message(receiver.url('hooks.intake.invalid')))).resolves.toMatchObject({ ok: true, status: 204 });
    expect(dns.asked).toEqual(['hooks.intake.invalid']);
    expect(receiver.requests[0]!.headers.host).toBe(`hooks.intake.invalid:${receiver.port}`);
  });

  it('a DNS answer that mixes public and private addresses is refused before any connection', async () => {
    const receiver = await listen();
    const dns = fakeDns({ 'hooks.intake.invalid': ['93.184.215.14', '127.0.0.1'] });
    const sender = new WebhookSender(5_000, new UrlGuard(new AddressPolicy(), dns.resolve));
    await expect(sender.send(message(receiver.url('hooks.intake.invalid')))).resolves.toMatchObject({ ok: false, refused: true, permanent: false });
    expect(receiver.connections).toBe(0);
  });

  it('says why a delivery failed without naming the address or port it resolved to', async () => {
    const hangUp = await listen((req) => req.socket.destroy());
    const dns = fakeDns({ 'hooks.intake.invalid': ['127.0.0.1'] });
    const sender = new WebhookSender(5_000, new UrlGuard(loopbackAllowed(), dns.resolve));
    const result = await sender.send(message(`http://hooks.intake.invalid:${hangUp.port}/hook`));
    expect(result.error).toBe(`POST http://hooks.intake.invalid:${hangUp.port}/hook failed: connection reset`);
    expect(result.logFields).toMatchObject({ address: '127.0.0.1', reason: 'network' });
  });

  it('gives up on an endpoint that never answers, after the per-attempt timeout', async () => {
    const silent = await listen(() => undefined);
    const sender = new WebhookSender(300, new UrlGuard(loopbackAllowed()));
    const result = await sender.send(message(silent.url()));
    expect(result).toMatchObject({ ok: false, status: null, error: `POST ${silent.url()} failed: timed out after 300 ms` });
    expect(silent.requests).toHaveLength(1);
  });
});

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
