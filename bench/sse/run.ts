/**
 * Live-status benchmark: what open Server-Sent Events streams cost an idle API process.
 * Run with `bash scripts/bench.sh sse [--streams 500] [--idle-seconds 60]`; see bench/README.md.
 */
import { Client } from 'pg';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config';
import { ApiClient } from '../../test/support/api-client';
import { EventStreamReader, openEventStream } from '../../test/support/event-stream';
import { startApi } from '../../test/support/platform';
import { cpuSeconds, rssBytes } from '../upload/process-stats';
import { step } from '../console';

const MiB = 1024 * 1024;

function options() {
  const { values } = parseArgs({ options: { streams: { type: 'string' }, 'idle-seconds': { type: 'string' } } });
  const int = (raw: string | undefined, fallback: number, name: string) => {
    const v = Number(raw ?? fallback);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
    return v;
  };
  return { streams: int(values.streams, 500, '--streams'), idleSeconds: int(values['idle-seconds'], 60, '--idle-seconds') };
}

/** Runs `work` on `items`, `limit` at a time. */
async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit) results.push(...(await Promise.all(items.slice(i, i + limit).map(work))));
  return results;
}

interface IdleSample {
  cpuSeconds: number;
  rssMeanBytes: number;
  rssMinBytes: number;
  rssMaxBytes: number;
}

const SETTLE_SECONDS = 10;

/**
 * The API process left alone: `SETTLE_SECONDS` first (what the last burst of work left for the
 * garbage collector is not counted), then `seconds` of CPU used and RSS sampled every second.
 */
async function idle(pid: number, seconds: number): Promise<IdleSample> {
  const second = () => new Promise((r) => setTimeout(r, 1000));
  for (let s = 0; s < SETTLE_SECONDS; s++) await second();
  const rss: number[] = [];
  const cpuBefore = cpuSeconds(pid);
  for (let s = 0; s < seconds; s++) {
    await second();
    rss.push(rssBytes(pid));
  }
  return {
    cpuSeconds: cpuSeconds(pid) - cpuBefore,
    rssMeanBytes: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssMinBytes: Math.min(...rss),
    rssMaxBytes: Math.max(...rss),
  };
}

async function listenConnections(databaseUrl: string): Promise<number> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const { rows } = await pg.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'LISTEN upload_changed' AND datname = current_database()`);
    return rows[0]!.n as number;
  } finally {
    await pg.end();
  }
}

async function main() {
  const opts = options();
  const config = loadConfig();
  if (!config.ADMIN_TOKEN) throw new Error('ADMIN_TOKEN must be set: the bench creates its tenant through the admin API');

  // The API alone (no worker): the uploads stay awaiting their bytes, so the streams stay open and idle.
  step('starting the API');
  const { proc, url } = await startApi({ ...process.env, LOG_LEVEL: 'info' });
  const pid = proc.child.pid!;
  const streams: EventStreamReader[] = [];
  try {
    const admin = new ApiClient(url, config.ADMIN_TOKEN);
    const tenant = await admin.post('/v1/admin/tenants', { name: 'sse bench', policy: { rateLimit: { requests: 1_000_000, windowSeconds: 60 } } });
    if (tenant.status !== 201) throw new Error(`tenant creation answered ${tenant.status}: ${JSON.stringify(tenant.body)}`);
    const api = new ApiClient(url, tenant.body.apiKey);
    const auth = { authorization: `Bearer ${tenant.body.apiKey}` };

    step(`creating ${opts.streams} uploads`);
    const ids = await inBatches([...Array(opts.streams).keys()], 50, async () => {
      const created = await api.post('/v1/uploads', { filename: 'a.png', contentType: 'image/png', size: 1000 });
      if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
      return created.body.id as string;
    });
    // Warm-up: every stream opened, read and closed once, so the baseline is a process that has
    // already grown its heap to this work and collected it, as the last window's is.
    step(`warm-up: ${opts.streams} streams opened, read and closed`);
    const warm = await inBatches(ids, 100, (id) => openEventStream(`${url}/v1/uploads/${id}/events`, auth));
    await Promise.all(warm.map((s) => s.next()));
    for (const s of warm) s.close();

    step(`baseline: the API idle for ${opts.idleSeconds} s with no stream open`);
    const baseline = await idle(pid, opts.idleSeconds);

    step(`opening ${opts.streams} streams, one per upload`);
    const rssBeforeStreams = rssBytes(pid);
    const opened = performance.now();
    streams.push(...(await inBatches(ids, 100, (id) => openEventStream(`${url}/v1/uploads/${id}/events`, auth))));
    const firsts = await Promise.all(streams.map((s) => s.next()));
    const openSeconds = (performance.now() - opened) / 1000;
    if (firsts.some((e) => !e || JSON.parse(e.data).status !== 'awaiting_upload')) throw new Error('a stream did not start with awaiting_upload');
    const listeners = await listenConnections(config.DATABASE_URL);

    step(`the API idle for ${opts.idleSeconds} s with ${opts.streams} streams open`);
    const withStreams = await idle(pid, opts.idleSeconds);
    const heartbeats = streams.reduce((n, s) => n + s.comments, 0);

    // Still live after the idle time: a change reaches its stream, which then ends.
    const changed = performance.now();
    const del = await api.call('DELETE', `/v1/uploads/${ids[0]}`);
    if (del.status !== 200) throw new Error(`delete answered ${del.status}`);
    const deleted = await streams[0]!.next();
    const changeMs = performance.now() - changed;
    if (!deleted || JSON.parse(deleted.data).status !== 'deleted') throw new Error('the deleted upload\'s stream did not say so');

    // Closing them must give back what they held: the same API with no stream again.
    step(`closing the streams; the API idle for ${opts.idleSeconds} s again`);
    for (const s of streams.splice(0)) s.close();
    const afterClose = await idle(pid, opts.idleSeconds);

    const mib = (b: number) => (b / MiB).toFixed(1);
    const cpuPct = (s: IdleSample) => (100 * s.cpuSeconds) / opts.idleSeconds;
    const rssLine = (name: string, s: IdleSample) =>
      `  ${name.padEnd(22)} RSS mean ${mib(s.rssMeanBytes)} MiB (min ${mib(s.rssMinBytes)}, max ${mib(s.rssMaxBytes)})   CPU ${s.cpuSeconds.toFixed(2)} s (${cpuPct(s).toFixed(2)} % of a core)`;
    /** Streams against one of the no-stream windows: RSS (mean) and CPU ratios, and RSS per stream. */
    const against = (base: IdleSample) => ({
      rssRatio: withStreams.rssMeanBytes / base.rssMeanBytes,
      rssMinRatio: withStreams.rssMinBytes / base.rssMinBytes,
      perStreamKiB: (withStreams.rssMeanBytes - base.rssMeanBytes) / 1024 / opts.streams,
      cpuRatio: base.cpuSeconds > 0 ? withStreams.cpuSeconds / base.cpuSeconds : NaN,
    });
    const ratioLine = (name: string, r: ReturnType<typeof against>) =>
      `  ${name.padEnd(22)} RSS ${r.rssRatio.toFixed(2)} (on the minimum ${r.rssMinRatio.toFixed(2)}), ${r.perStreamKiB.toFixed(1)} KiB per stream;` +
      ` CPU ${Number.isNaN(r.cpuRatio) ? 'n/a (baseline 0 s)' : r.cpuRatio.toFixed(2)}`;
    const vsBefore = against(baseline);
    const vsAfter = against(afterClose);
    const out = [
      '',
      'Intake live-status (SSE) benchmark',
      '',
      `  machine    ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
      `  streams    ${opts.streams} open at once on awaiting uploads, opened and first event read in ${openSeconds.toFixed(2)} s; heartbeat every ${config.LIVE_STATUS_HEARTBEAT_SECONDS} s (${heartbeats} received by the bench while they were open)`,
      `  LISTEN     ${listeners} connection(s) for all of them`,
      '',
      rssLine('baseline, no stream', baseline),
      rssLine(`${opts.streams} streams open`, withStreams),
      rssLine('streams closed again', afterClose),
      '',
      '  streams over baseline',
      ratioLine('vs closed again', vsAfter),
      ratioLine('vs before any stream', vsBefore),
      `  change     DELETE -> its stream's event ${changeMs.toFixed(0)} ms with all streams open`,
      '',
      `RESULT ${JSON.stringify({ streams: opts.streams, idleSeconds: opts.idleSeconds, listeners, baseline, withStreams, afterClose, vsAfter, vsBefore, changeMs })}`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    for (const s of streams) s.close();
    await proc.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`sse bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
