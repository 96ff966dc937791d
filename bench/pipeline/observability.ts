import { OtlpReceiver } from '../../test/support/otlp-receiver';
import { step } from '../console';
import { IntakeApi, WebhookCounter } from './platform-client';
import { Platform } from './processes';
import { median } from './report';
import { runPlatform } from './throughput';

export type ObservabilityMode = 'off' | 'on';

/**
 * The platform's environment in each mode. On: traces exported over OTLP/HTTP to a receiver in
 * this process, metrics at their default (enabled). Off: no endpoint, METRICS_ENABLED=false.
 */
export function observabilityEnv(base: NodeJS.ProcessEnv, mode: ObservabilityMode, otlpEndpoint: string): NodeJS.ProcessEnv {
  const { OTEL_EXPORTER_OTLP_ENDPOINT: _endpoint, METRICS_ENABLED: _metrics, ...rest } = base;
  return mode === 'on' ? { ...rest, OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint } : { ...rest, METRICS_ENABLED: 'false' };
}

export interface ModeResult {
  mode: ObservabilityMode;
  images: number;
  seconds: number;
  latencies: number[];
  spans: number;
  /** CPU seconds the API and worker processes spent on the timed images. */
  cpuSeconds: number;
  apiCpuSeconds: number;
  /** Each round's images per second and API + worker CPU ms per upload, in order. */
  rounds: Array<{ rate: number; cpuMs: number }>;
}

export interface ObservabilityOptions {
  adminToken: string;
  jpeg: Buffer;
  n: number;
  concurrency: number;
  rounds: number;
  warmup: number;
  logDir: string;
  runTag: string;
}

/**
 * Throughput with tracing and metrics on against off, in the same run: each round starts a fresh
 * API and worker per mode and sends n images through them. Rounds alternate the order (off-on,
 * on-off, ...) so a machine getting busier or quieter weighs on both modes alike.
 */
export async function compareObservability(opts: ObservabilityOptions): Promise<Record<ObservabilityMode, ModeResult>> {
  const collector = await new OtlpReceiver().start();
  const webhooks = await new WebhookCounter().start();
  const results: Record<ObservabilityMode, ModeResult> = {
    off: { mode: 'off', images: 0, seconds: 0, latencies: [], spans: 0, cpuSeconds: 0, apiCpuSeconds: 0, rounds: [] },
    on: { mode: 'on', images: 0, seconds: 0, latencies: [], spans: 0, cpuSeconds: 0, apiCpuSeconds: 0, rounds: [] },
  };
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const order: ObservabilityMode[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const mode of order) {
        step(`round ${round + 1}/${opts.rounds}, observability ${mode}: ${opts.warmup} warm-up + ${opts.n} images, ${opts.concurrency} in flight`);
        const platform = await Platform.start(observabilityEnv(process.env, mode, collector.endpoint), opts.logDir);
        try {
          const crashed = platform.unexpectedExit();
          crashed.catch(() => undefined);
          const api = new IntakeApi(platform.apiUrl);
          const { apiKey } = await api.createTenant(opts.adminToken, `observability ${mode} ${round}`, webhooks.url);
          const run = { api, apiKey, webhooks, jpeg: opts.jpeg, concurrency: opts.concurrency };
          const label = `${opts.runTag} observability ${mode} ${round}`;
          await Promise.race([runPlatform({ ...run, n: opts.warmup, label: `${label} warmup`, quiet: true }), crashed]);
          const spansBefore = collector.spans.length;
          const cpuBefore = platform.cpuSeconds();
          const timed = await Promise.race([runPlatform({ ...run, n: opts.n, label }), crashed]);
          const result = results[mode];
          const cpuAfter = platform.cpuSeconds();
          result.cpuSeconds += cpuAfter.api + cpuAfter.worker - cpuBefore.api - cpuBefore.worker;
          result.apiCpuSeconds += cpuAfter.api - cpuBefore.api;
          const cpuMs = ((cpuAfter.api + cpuAfter.worker - cpuBefore.api - cpuBefore.worker) / timed.images) * 1000;
          result.rounds.push({ rate: timed.images / timed.seconds, cpuMs });
          result.images += timed.images;
          result.seconds += timed.seconds;
          result.latencies.push(...timed.latencies);
          // Stopping flushes what the processes still buffer; warm-up spans are left out above.
          await platform.stop();
          result.spans += collector.spans.length - spansBefore;
        } finally {
          await platform.stop();
        }
      }
    }
  } finally {
    await webhooks.stop();
    await collector.stop();
  }
  return results;
}

/**
 * The comparison's report on stdout, ending with one RESULT line. Besides the totals, each round's
 * on/off pair (run back to back) gives a ratio; their median shrugs off a round the machine
 * was busy for, which on a shared machine the totals do not.
 */
export function printObservabilityReport(results: Record<ObservabilityMode, ModeResult>, goal: number, context: Record<string, unknown>): void {
  const { off, on } = results;
  const rate = (r: ModeResult) => r.images / r.seconds;
  const cpuMs = (r: ModeResult) => (r.cpuSeconds / r.images) * 1000;
  const pairs = on.rounds.map((o, i) => ({ rate: o.rate / off.rounds[i]!.rate, cpu: off.rounds[i]!.cpuMs / o.cpuMs }));
  const figures = {
    ratio: rate(on) / rate(off),
    medianRoundRatio: median(pairs.map((p) => p.rate)),
    cpuRatio: cpuMs(off) / cpuMs(on),
    medianRoundCpuRatio: median(pairs.map((p) => p.cpu)),
  };
  const line = (r: ModeResult) =>
    `  ${r.mode.padEnd(3)}  ${r.images} images in ${r.seconds.toFixed(1)} s = ${rate(r).toFixed(3)} images/s, ` +
    `complete -> webhook median ${median(r.latencies).toFixed(2)} s, API + worker CPU ${cpuMs(r).toFixed(0)} ms per upload ` +
    `(API ${((r.apiCpuSeconds / r.images) * 1000).toFixed(0)} ms)` +
    (r.mode === 'on' ? `, ${r.spans} spans received (${(r.spans / r.images).toFixed(1)} per upload)` : '');
  const round = (p: { rate: number; cpu: number }, i: number) =>
    `  round ${i + 1}: ${off.rounds[i]!.rate.toFixed(3)} -> ${on.rounds[i]!.rate.toFixed(3)} images/s (${p.rate.toFixed(3)}), ` +
    `CPU ${off.rounds[i]!.cpuMs.toFixed(0)} -> ${on.rounds[i]!.cpuMs.toFixed(0)} ms per upload (${p.cpu.toFixed(3)})`;
  const verdict = (x: number) => (x >= goal ? 'meets goal' : 'MISSES goal');
  const strip = ({ latencies: _l, mode: _m, ...rest }: ModeResult) => ({ ...rest, medianLatency: median(_l) });
  process.stdout.write(
    [
      'observability on vs off (tracing over OTLP/HTTP + metrics, against neither)',
      line(off),
      line(on),
      ...pairs.map(round),
      `  throughput on/off: ${figures.ratio.toFixed(3)} in total, ${figures.medianRoundRatio.toFixed(3)} median of rounds ` +
        `(goal >= ${goal}: ${verdict(figures.medianRoundRatio)})`,
      `  CPU per upload off/on: ${figures.cpuRatio.toFixed(3)} in total, ${figures.medianRoundCpuRatio.toFixed(3)} median of rounds (1.0: costs no CPU)`,
      'RESULT ' + JSON.stringify({ ...context, observability: { ...figures, goal, off: strip(off), on: strip(on) } }),
      '',
    ].join('\n'),
  );
}
