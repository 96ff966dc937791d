import type { IntakeApi, WebhookCounter } from './platform-client';
import { progress } from './baseline';
import { uniqueCopy } from './sample-image';

export interface PlatformResult {
  images: number;
  seconds: number;
  /** Seconds from an upload's complete call to its upload.ready webhook. */
  latencies: number[];
  /** The uploads, so their workflow histories can say where the time went under load. */
  uploadIds: string[];
}

/** However busy the worker, one 12 MP image should not take this long: treat it as a hang. */
const WEBHOOK_TIMEOUT_MS = 10 * 60_000;

export interface PlatformRunOptions {
  api: IntakeApi;
  apiKey: string;
  webhooks: WebhookCounter;
  jpeg: Buffer;
  n: number;
  /** Uploads between their create call and their upload.ready webhook at any one time. */
  concurrency: number;
  label: string;
  quiet?: boolean;
}

/**
 * n uploads through the API with at most `concurrency` unfinished at once; timed from the first
 * create call to the last upload.ready webhook.
 */
export async function runPlatform(opts: PlatformRunOptions): Promise<PlatformResult> {
  const { api, apiKey, webhooks, jpeg, n, concurrency, label } = opts;
  const latencies: number[] = [];
  const uploadIds: string[] = [];
  let next = 0;
  let done = 0;
  let lastReady = 0;
  const started = performance.now();

  const lane = async () => {
    while (next < n) {
      const i = next++;
      const bytes = uniqueCopy(jpeg, `${label} ${i}`);
      const id = await api.upload(apiKey, bytes, `bench-${i}.jpg`, 'image/jpeg');
      uploadIds.push(id);
      const completedAt = performance.now();
      const outcome = await webhooks.ready(id, WEBHOOK_TIMEOUT_MS);
      latencies.push((outcome.receivedAt - completedAt) / 1000);
      lastReady = Math.max(lastReady, outcome.receivedAt);
      if (!opts.quiet) progress('platform', ++done, n, started);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  return { images: n, seconds: (lastReady - started) / 1000, latencies, uploadIds };
}
