import { setTimeout as sleep } from 'node:timers/promises';
import { IntakeApi, Upload, unwrap } from './client';

export const TERMINAL_STATUSES: ReadonlySet<Upload['status']> = new Set(['ready', 'rejected', 'failed', 'expired', 'deleted']);

/**
 * The upload's view now and on every change, from the Server-Sent Events stream
 * (GET /v1/uploads/{id}/events); ends after a terminal status, or when `signal` aborts.
 */
export async function* uploadEvents(api: IntakeApi, id: string, signal?: AbortSignal): AsyncGenerator<Upload> {
  const result = await api.GET('/v1/uploads/{id}/events', { params: { path: { id } }, parseAs: 'stream', signal });
  const stream = unwrap(result as { data?: ReadableStream<Uint8Array> | null; error?: unknown; response: Response });
  if (!stream) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    // Events end with a blank line; `:` lines are keep-alive comments.
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const lines = block.split(/\r?\n/);
      const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message';
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (event === 'status' && data) yield JSON.parse(data) as Upload;
    }
  }
}

/** Before listening again to a stream that ended early. */
const STREAM_RECONNECT_MS = 1_000;

export interface WaitOptions {
  /** Milliseconds; default 10 minutes. */
  timeout?: number;
  signal?: AbortSignal;
  /** Every view seen on the way (progress, stage). */
  onUpdate?: (upload: Upload) => void;
  /** Poll GET /v1/uploads/{id} every this many ms instead of listening to the event stream. */
  pollIntervalMs?: number;
}

export class WaitTimeoutError extends Error {
  constructor(readonly uploadId: string, readonly last: Upload | undefined) {
    super(`upload ${uploadId} did not finish in time (last status: ${last?.status ?? 'unknown'})`);
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Resolves with the upload's view once it is terminal: `ready`, or `rejected`/`failed` (with
 * `error.code`), `expired`, `deleted`. Throws WaitTimeoutError after `timeout`.
 */
export async function waitUntilReady(api: IntakeApi, id: string, options: WaitOptions = {}): Promise<Upload> {
  const timeout = AbortSignal.timeout(options.timeout ?? 10 * 60_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const current = async () => unwrap(await api.GET('/v1/uploads/{id}', { params: { path: { id } }, signal }));
  // Waits `ms` unless `signal` aborts first (then rejects with its reason, as fetch does).
  const pause = (ms: number) => sleep(ms, undefined, { signal, ref: false }).catch((err) => Promise.reject(signal.aborted ? signal.reason : err));
  let last: Upload | undefined;
  try {
    for (;;) {
      if (options.pollIntervalMs) {
        last = await current();
        options.onUpdate?.(last);
        if (TERMINAL_STATUSES.has(last.status)) return last;
        await pause(options.pollIntervalMs);
        continue;
      }
      for await (const view of uploadEvents(api, id, signal)) {
        last = view;
        options.onUpdate?.(view);
        if (TERMINAL_STATUSES.has(view.status)) return view;
      }
      // The stream ended early (the API restarted): the current view says where it stands; if it
      // is not over, listen again after a moment (a stream that keeps closing is not a busy loop).
      last = await current();
      if (TERMINAL_STATUSES.has(last.status)) return last;
      await pause(STREAM_RECONNECT_MS);
    }
  } catch (err) {
    if (timeout.aborted && !options.signal?.aborted) throw new WaitTimeoutError(id, last);
    throw err;
  }
}
