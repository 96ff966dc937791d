/**
 * Upload benchmark: how much the front door costs over talking to the store directly.
 * Run with `bash scripts/bench.sh upload [--size-mb 1024] [--runs 3] [--sessions 200]`; see bench/README.md.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config';
import { ApiClient } from '../../test/support/api-client';
import { startApi } from '../../test/support/platform';
import { median } from '../pipeline/report';
import { cpuSeconds, rssBytes, watchPeakRss } from './process-stats';
import { runSessions, runTemporalBaseline } from './sessions';
import { createUpload, intakeMultipart, libStorageUpload, putFileRange, sdkPut, tusUpload } from './transfers';
import { step } from '../console';

const MiB = 1024 * 1024;
const PARALLEL_PARTS = 4;
const TUS_CHUNK = 64 * MiB;

function options() {
  const { values } = parseArgs({
    options: {
      'size-mb': { type: 'string' },
      runs: { type: 'string' },
      sessions: { type: 'string' },
      rounds: { type: 'string' },
      'sessions-only': { type: 'boolean' },
    },
  });
  const int = (raw: string | undefined, fallback: number, name: string) => {
    const v = Number(raw ?? fallback);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
    return v;
  };
  return {
    sizeMiB: int(values['size-mb'], 1024, '--size-mb'),
    runs: int(values.runs, 3, '--runs'),
    sessions: int(values.sessions, 200, '--sessions'),
    rounds: int(values.rounds, 3, '--rounds'),
    skipTransfers: values['sessions-only'] ?? false,
  };
}

/** A text file (the platform accepts text/plain) of random printable bytes, streamed to disk. */
async function writeTestFile(path: string, size: number): Promise<void> {
  const block = Buffer.from(randomBytes(12 * MiB).toString('base64').slice(0, 16 * MiB));
  const out = createWriteStream(path);
  for (let left = size; left > 0; left -= block.length) {
    if (!out.write(left >= block.length ? block : block.subarray(0, left))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

const rate = (bytes: number, seconds: number) => bytes / MiB / seconds;
const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]!;

async function main() {
  const opts = options();
  const config = loadConfig();
  if (!config.ADMIN_TOKEN) throw new Error('ADMIN_TOKEN must be set: the bench creates its tenant through the admin API');
  const dir = mkdtempSync(join(tmpdir(), 'intake-bench-upload-'));
  const size = opts.sizeMiB * MiB;
  const file = join(dir, 'payload.txt');
  step(`writing a ${opts.sizeMiB} MiB test file`);
  await writeTestFile(file, size);

  // The API alone: no worker, so nothing processes what arrives and only the front door is measured.
  step(`starting the API (logs in ${dir})`);
  const { proc: apiProc, url: apiUrl } = await startApi({ ...process.env, LOG_LEVEL: 'warn' });
  const apiPid = apiProc.child.pid!;
  const s3 = new S3Client({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    const admin = new ApiClient(apiUrl, config.ADMIN_TOKEN);
    // A limit no benchmark reaches: the bench measures transfers, not the rate limiter.
    const tenant = await admin.post('/v1/admin/tenants', { name: 'upload bench', policy: { rateLimit: { requests: 1_000_000, windowSeconds: 60 } } });
    if (tenant.status !== 201) throw new Error(`tenant creation answered ${tenant.status}: ${JSON.stringify(tenant.body)}`);
    const api = new ApiClient(apiUrl, tenant.body.apiKey);
    const put = { sdk: [] as number[], presigned: [] as number[], apiCpu: [] as number[] };
    const multipart = { libStorage: [] as number[], intake: [] as number[], partSize: 0 };
    const tus: number[] = [];

    for (let run = 1; run <= (opts.skipTransfers ? 0 : opts.runs); run++) {
      step(`run ${run}/${opts.runs}: SDK PUT`);
      put.sdk.push(await timed(() => sdkPut(s3, config.S3_BUCKET, `bench/${run}/sdk-put`, file, size)));
      step(`run ${run}/${opts.runs}: presigned PUT`);
      const created = await createUpload(api, { filename: 'bench.txt', contentType: 'text/plain', size });
      const cpuBefore = cpuSeconds(apiPid);
      put.presigned.push(await timed(() => putFileRange(created.upload.url!, created.upload.headers!, file, 0, size)));
      put.apiCpu.push(cpuSeconds(apiPid) - cpuBefore);

      step(`run ${run}/${opts.runs}: Intake multipart, ${PARALLEL_PARTS} parts in flight`);
      const mp = await createUpload(api, { filename: 'bench.txt', contentType: 'text/plain', size, mode: 'multipart' });
      multipart.partSize = mp.upload.partSize!;
      multipart.intake.push(await timed(() => intakeMultipart(api, mp, file, size, PARALLEL_PARTS)));
      step(`run ${run}/${opts.runs}: lib-storage Upload, same part size and parallelism`);
      multipart.libStorage.push(
        await timed(() => libStorageUpload(s3, config.S3_BUCKET, `bench/${run}/lib-storage`, file, multipart.partSize, PARALLEL_PARTS)),
      );

      step(`run ${run}/${opts.runs}: tus through the API`);
      tus.push(await timed(() => tusUpload(apiUrl, tenant.body.apiKey, file, size, TUS_CHUNK)));
    }

    // Rounds of N sessions at once: RSS after each round shows whether the API keeps what it
    // allocated (a leak grows round after round) or only grew its heap once to the load.
    const small = Buffer.from(randomBytes(768 * 1024).toString('base64'));
    await runSessions(api, 10, small); // warm-up: connection pools, JIT
    const rssBefore = rssBytes(apiPid);
    const peak = watchPeakRss(apiPid);
    const rssAfterRound: number[] = [];
    let sessions!: Awaited<ReturnType<typeof runSessions>>;
    for (let round = 1; round <= opts.rounds; round++) {
      step(`round ${round}/${opts.rounds}: ${opts.sessions} concurrent sessions of 1 MiB`);
      const result = await runSessions(api, opts.sessions, small);
      sessions = round === 1 ? result : { ...result, errors: sessions.errors + result.errors, firstErrors: [...sessions.firstErrors, ...result.firstErrors].slice(0, 5), apiLatenciesMs: [...sessions.apiLatenciesMs, ...result.apiLatenciesMs], createMs: [...sessions.createMs, ...result.createMs], completeMs: [...sessions.completeMs, ...result.completeMs], sessions: sessions.sessions + result.sessions };
      rssAfterRound.push(rssBytes(apiPid));
    }
    const rssPeak = peak.stop();
    const rssAfter = rssAfterRound[rssAfterRound.length - 1]!;
    step(`baseline: the sessions' Temporal calls alone, ${opts.sessions} at once`);
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const baseline = await runTemporalBaseline(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), opts.sessions).finally(() =>
      connection.close(),
    );
    const roundSeconds = sessions.seconds;

    const m = (v: number[]) => (v.length ? median(v) : NaN);
    const putRatio = m(put.sdk) / m(put.presigned);
    const mpRatio = m(multipart.libStorage) / m(multipart.intake);
    const tusRatio = m(multipart.intake) / m(tus);
    const out = [
      '',
      'Intake upload benchmark',
      '',
      `  machine   ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
      `  file      ${opts.sizeMiB} MiB, ${opts.runs} runs of each path (medians below), alternating`,
      '',
      `  PUT        SDK ${rate(size, m(put.sdk)).toFixed(0)} MiB/s   presigned ${rate(size, m(put.presigned)).toFixed(0)} MiB/s   presigned/SDK = ${putRatio.toFixed(2)} (goal >= 0.95)`,
      `             API CPU during the presigned PUT: ${put.apiCpu.map((c) => c.toFixed(2)).join(', ')} s (goal ~ 0)`,
      `  multipart  lib-storage ${rate(size, m(multipart.libStorage)).toFixed(0)} MiB/s   Intake ${rate(size, m(multipart.intake)).toFixed(0)} MiB/s   Intake/lib-storage = ${mpRatio.toFixed(2)} (goal >= 0.95; ${multipart.partSize / MiB} MiB parts, ${PARALLEL_PARTS} in flight)`,
      `  tus        ${rate(size, m(tus)).toFixed(0)} MiB/s through the API   tus/multipart = ${tusRatio.toFixed(2)} (${TUS_CHUNK / MiB} MiB PATCH chunks)`,
      `  sessions   ${opts.rounds} rounds of ${opts.sessions} at once (create -> PUT ${(small.length / MiB).toFixed(2)} MiB -> complete): errors ${sessions.errors} of ${sessions.sessions} (goal 0)`,
      `             API call latency p50 ${pct(sessions.apiLatenciesMs, 50).toFixed(0)} ms, p99 ${pct(sessions.apiLatenciesMs, 99).toFixed(0)} ms` +
        ` (create p50 ${pct(sessions.createMs, 50).toFixed(0)} / p99 ${pct(sessions.createMs, 99).toFixed(0)}, complete p50 ${pct(sessions.completeMs, 50).toFixed(0)} / p99 ${pct(sessions.completeMs, 99).toFixed(0)})`,
      `             baseline (Temporal alone: ${opts.sessions} starts + signals at once): ${baseline.seconds.toFixed(1)} s, call p50 ${pct(baseline.callMs, 50).toFixed(0)} ms, p99 ${pct(baseline.callMs, 99).toFixed(0)} ms;` +
        ` last round ${roundSeconds.toFixed(1)} s = ${(roundSeconds / baseline.seconds).toFixed(2)}x the baseline`,
      `             API RSS before ${(rssBefore / MiB).toFixed(0)} MiB, after each round ${rssAfterRound.map((r) => (r / MiB).toFixed(0)).join(' / ')} MiB, peak ${(rssPeak / MiB).toFixed(0)} MiB` +
        ` (last/first round = ${(rssAfter / rssAfterRound[0]!).toFixed(2)}: goal flat)`,
      ...sessions.firstErrors.map((e) => `             error: ${e}`),
      '',
      `RESULT ${JSON.stringify({ putRatio, apiCpuSeconds: put.apiCpu, multipartRatio: mpRatio, tusOverMultipart: tusRatio, sessions: { errors: sessions.errors, p50: pct(sessions.apiLatenciesMs, 50), p99: pct(sessions.apiLatenciesMs, 99), rssBefore, rssAfterRound, rssPeak } })}`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    s3.destroy();
    await apiProc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`upload bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
