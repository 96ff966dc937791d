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
  /** Images per second of each round, in order. */
  rounds: number[];
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
          result.rounds.push(timed.images / timed.seconds);
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

/** The comparison's report on stdout, ending with one RESULT line. */
export function printObservabilityReport(results: Record<ObservabilityMode, ModeResult>, goal: number, context: Record<string, unknown>): void {
  const rate = (r: ModeResult) => r.images / r.seconds;
  const ratio = rate(results.on) / rate(results.off);
  const cpu = (r: ModeResult) => r.cpuSeconds / r.images;
  const line = (r: ModeResult) =>
    `  ${r.mode.padEnd(3)}  ${r.images} images in ${r.seconds.toFixed(1)} s = ${rate(r).toFixed(3)} images/s, ` +
    `complete -> webhook median ${median(r.latencies).toFixed(2)} s, API + worker CPU ${((r.cpuSeconds / r.images) * 1000).toFixed(0)} ms per upload ` +
    `(API ${((r.apiCpuSeconds / r.images) * 1000).toFixed(0)} ms), ` +
    `rounds ${r.rounds.map((x) => x.toFixed(3)).join(' / ')} images/s` +
    (r.mode === 'on' ? `, ${r.spans} spans received (${(r.spans / r.images).toFixed(1)} per upload)` : '');
  process.stdout.write(
    [
      'observability on vs off (tracing over OTLP/HTTP + metrics, against neither)',
      line(results.off),
      line(results.on),
      `  throughput on/off: ${ratio.toFixed(3)} (goal >= ${goal}: ${ratio >= goal ? 'meets goal' : 'MISSES goal'})`,
      `  API + worker CPU per upload off/on: ${(cpu(results.off) / cpu(results.on)).toFixed(3)} (1.0: observability costs no CPU)`,
      'RESULT ' +
        JSON.stringify({
          ...context,
          observability: {
            ratio: Number(ratio.toFixed(4)),
            cpuRatio: Number((cpu(results.off) / cpu(results.on)).toFixed(4)),
            goal,
            off: { images: results.off.images, seconds: results.off.seconds, medianLatency: median(results.off.latencies), cpuSeconds: results.off.cpuSeconds, apiCpuSeconds: results.off.apiCpuSeconds, rounds: results.off.rounds },
            on: { images: results.on.images, seconds: results.on.seconds, medianLatency: median(results.on.latencies), cpuSeconds: results.on.cpuSeconds, apiCpuSeconds: results.on.apiCpuSeconds, rounds: results.on.rounds, spans: results.on.spans },
          },
        }),
      '',
    ].join('\n'),
  );
}
