import { TERMINAL_STATUSES } from '../../src/database/entities/upload.entity';
import { ApiClient } from '../../test/support/api-client';
import { uploadFile } from '../../test/support/uploader';
import type { Receipt, WebhookConsumer } from './consumer';

/** A tenant whose endpoints are `consumers` (healthy) plus `deadUrl` if given (registered last). */
export interface BenchTenant {
  id: string;
  api: ApiClient;
  consumers: WebhookConsumer[];
  deadEndpointId: string | null;
}

/**
 * Registers a tenant through the admin API (the first consumer becomes its first endpoint) and the
 * rest through POST /v1/webhooks/endpoints, each consumer keeping the secret it was handed.
 */
export async function registerTenant(apiUrl: string, adminToken: string, name: string, consumers: WebhookConsumer[], deadUrl?: string): Promise<BenchTenant> {
  const admin = new ApiClient(apiUrl, adminToken);
  // A limit no bench reaches: it measures webhooks, not the rate limiter.
  const policy = { rateLimit: { requests: 1_000_000, windowSeconds: 60 } };
  const tenant = await admin.post('/v1/admin/tenants', { name, webhookUrl: consumers[0]!.url, policy });
  if (tenant.status !== 201) throw new Error(`tenant creation answered ${tenant.status}: ${JSON.stringify(tenant.body)}`);
  consumers[0]!.secret = tenant.body.webhookSecret;
  const api = new ApiClient(apiUrl, tenant.body.apiKey);
  const register = async (url: string) => {
    const res = await api.post('/v1/webhooks/endpoints', { url });
    if (res.status !== 201) throw new Error(`endpoint creation answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as { id: string; secret: string };
  };
  for (const consumer of consumers.slice(1)) consumer.secret = (await register(consumer.url)).secret;
  const deadEndpointId = deadUrl ? (await register(deadUrl)).id : null;
  return { id: tenant.body.id, api, consumers, deadEndpointId };
}

export interface EndpointCount {
  /** Distinct webhook-ids of this phase's events received (verified). */
  delivered: number;
  duplicates: number;
}

export interface PhaseResult {
  uploads: number;
  /** Events the phase's uploads produced (processing + ready each). */
  events: number;
  /** First create call to the last upload.ready event's time (the payload timestamp). */
  readySeconds: number;
  /** First create call to the last delivery at any healthy endpoint (after the drain). */
  allDeliveredSeconds: number;
  perEndpoint: EndpointCount[];
  /** Event time -> receipt, ms, every first delivery at every healthy endpoint. */
  latenciesMs: number[];
  /** The phase's events as the first endpoint got them, to look up their delivery workflows. */
  received: Array<{ webhookId: string; eventAt: number }>;
  drained: boolean;
}

/** However busy the machine, one small text file should not take this long: treat it as a hang. */
const READY_TIMEOUT_MS = 5 * 60_000;
const POLL_MS = 200;

export interface PhaseOptions {
  label: string;
  tenant: BenchTenant;
  n: number;
  /** Uploads between their create call and `ready` at any one time. */
  concurrency: number;
  /** How long to wait, after the last upload is ready, for every healthy endpoint to have every event. */
  drainTimeoutMs: number;
  quiet?: boolean;
}

/**
 * n small text uploads through the API, at most `concurrency` unfinished at once. A slot opens
 * when GET /v1/uploads/:id says `ready` (polled, so the webhooks being measured do not pace the
 * uploads). Then waits until every healthy endpoint has both events of every upload, or the drain
 * timeout passes.
 */
export async function runPhase(opts: PhaseOptions): Promise<PhaseResult> {
  const { tenant, n, concurrency, label } = opts;
  const uploads = new Set<string>();
  let next = 0;
  let done = 0;
  const started = Date.now();

  const lane = async () => {
    while (next < n) {
      const i = next++;
      const id = await uploadFile(tenant.api, Buffer.from(`${label} upload ${i}\n`), 'text/plain');
      uploads.add(id);
      await untilReady(tenant.api, id);
      if (!opts.quiet) progress(label, ++done, n, started);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));

  const events = uploads.size * 2;
  const ours = (c: WebhookConsumer) => [...c.receipts.entries()].filter(([, r]) => uploads.has(r.uploadId));
  const drainDeadline = Date.now() + opts.drainTimeoutMs;
  let drained = false;
  for (;;) {
    drained = tenant.consumers.every((c) => ours(c).length >= events);
    if (drained || Date.now() > drainDeadline) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }

  const receipts: Receipt[] = tenant.consumers.flatMap((c) => ours(c).map(([, r]) => r));
  const perEndpoint = tenant.consumers.map((c) => {
    const mine = ours(c);
    return { delivered: mine.length, duplicates: mine.reduce((sum, [id]) => sum + (c.duplicates.get(id) ?? 0), 0) };
  });
  const readyEvents = receipts.filter((r) => r.type === 'upload.ready').map((r) => r.eventAt);
  return {
    uploads: uploads.size,
    events,
    readySeconds: (latest(readyEvents) - started) / 1000,
    allDeliveredSeconds: (latest(receipts.map((r) => r.receivedAt)) - started) / 1000,
    perEndpoint,
    latenciesMs: receipts.map((r) => r.receivedAt - r.eventAt),
    received: ours(tenant.consumers[0]!).map(([webhookId, r]) => ({ webhookId, eventAt: r.eventAt })),
    drained,
  };
}

/** Several chunks of one phase (alternating with the other phase's) as one result: times add up. */
export function mergeChunks(chunks: PhaseResult[]): PhaseResult {
  const sum = (f: (p: PhaseResult) => number) => chunks.reduce((total, p) => total + f(p), 0);
  return {
    uploads: sum((p) => p.uploads),
    events: sum((p) => p.events),
    readySeconds: sum((p) => p.readySeconds),
    allDeliveredSeconds: sum((p) => p.allDeliveredSeconds),
    perEndpoint: chunks[0]!.perEndpoint.map((_, i) => ({
      delivered: sum((p) => p.perEndpoint[i]!.delivered),
      duplicates: sum((p) => p.perEndpoint[i]!.duplicates),
    })),
    latenciesMs: chunks.flatMap((p) => p.latenciesMs),
    received: chunks.flatMap((p) => p.received),
    drained: chunks.every((p) => p.drained),
  };
}

async function untilReady(api: ApiClient, uploadId: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const res = await api.get(`/v1/uploads/${uploadId}`);
    if (res.status !== 200) throw new Error(`GET /v1/uploads/${uploadId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    if (res.body.status === 'ready') return;
    if (TERMINAL_STATUSES.has(res.body.status)) {
      throw new Error(`upload ${uploadId} ended ${res.body.status}: ${JSON.stringify(res.body.error)}`);
    }
    if (Date.now() > deadline) throw new Error(`upload ${uploadId} not ready within ${READY_TIMEOUT_MS / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// Not Math.max(...values): tens of thousands of arguments can overflow the stack.
const latest = (values: number[]) => values.reduce((a, b) => Math.max(a, b), -Infinity);

/** A progress line every 10% on stderr, so stdout stays the report. */
function progress(phase: string, done: number, total: number, started: number): void {
  const every = Math.max(1, Math.round(total / 10));
  if (done % every !== 0 && done !== total) return;
  process.stderr.write(`  ${phase}: ${done}/${total} ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}
