import { createHash, randomBytes } from 'node:crypto';
import * as tus from 'tus-js-client';

// Jest-free, like the other process and client helpers.

export const TUS_HEADERS = { 'Tus-Resumable': '1.0.0' };

export interface TusRun {
  /** The upload's tus URL (its last segment is the Intake upload id). */
  url: string;
  /** True when the run stopped itself part-way (stopAtFraction). */
  stopped: boolean;
}

export interface TusRunOptions {
  /** Create a new upload here... */
  endpoint?: string;
  /** ...or resume this one. */
  uploadUrl?: string;
  token: string;
  filename?: string;
  filetype?: string;
  metadata?: Record<string, string>;
  /** Abort (without terminating) once tus-js-client reports this share of the bytes sent. */
  stopAtFraction?: number;
  retryDelays?: number[];
  /** PATCH size; default: the whole rest in one request. */
  chunkSize?: number;
}

/** One run of tus-js-client in node, as a client app would drive it: resolves on success or on the planned stop. */
export function runTus(bytes: Buffer, options: TusRunOptions): Promise<TusRun> {
  return new Promise((resolve, reject) => {
    let stopped = false;
    const upload = new tus.Upload(bytes, {
      endpoint: options.endpoint,
      uploadUrl: options.uploadUrl,
      headers: { Authorization: `Bearer ${options.token}` },
      metadata: { filename: options.filename ?? 'notes.txt', filetype: options.filetype ?? 'text/plain', ...options.metadata },
      retryDelays: options.retryDelays ?? [],
      ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
      storeFingerprintForResuming: false,
      onProgress: (sent, total) => {
        if (stopped || options.stopAtFraction === undefined || sent < total * options.stopAtFraction) return;
        stopped = true;
        upload.abort(false).then(() => resolve({ url: upload.url!, stopped: true }), reject);
      },
      onSuccess: () => {
        if (!stopped) resolve({ url: upload.url!, stopped: false });
      },
      onError: (err) => {
        if (!stopped) reject(err);
      },
    });
    upload.start();
  });
}

/** Plain-text bytes (the pipeline accepts text/plain by sniffing) of about `size` bytes. */
export function textFile(size: number): Buffer {
  const lines: string[] = [];
  let length = 0;
  while (length < size) {
    const line = `${randomBytes(48).toString('hex')}\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A raw tus request (for what tus-js-client never sends: wrong offsets, no auth, zero lengths). */
export async function tusRequest(
  method: string,
  url: string,
  token: string | undefined,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { ...TUS_HEADERS, ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: left as text so the assertion shows it
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** tus Upload-Metadata: `key base64(value)` pairs. */
export function tusMetadata(entries: Record<string, string>): string {
  return Object.entries(entries)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}
