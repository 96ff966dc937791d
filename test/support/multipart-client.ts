import { request as httpRequest } from 'node:http';
import { ApiClient } from './api-client';
import { eventually } from './stack';

export const MiB = 1024 ** 2;

/** `size` bytes of printable text that differ per `seed` and per position, so misassembled parts show in the hash. */
export function textBytes(size: number, seed: string): Buffer {
  const line = (i: number) => `${seed} line ${String(i).padStart(9, '0')} ${'abcdefghijklmnopqrstuvwxyz'.repeat(2)}\n`;
  const chunks: Buffer[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const chunk = Buffer.from(line(i));
    chunks.push(chunk);
    length += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, size);
}

/**
 * PUTs one part with exactly the headers the API handed out (node:http: fetch will not let a caller
 * set the signed Content-Length) and answers storage's status and the part's ETag.
 */
export function putPart(
  part: { url: string; headers: Record<string, string> },
  body: Buffer,
): Promise<{ status: number; etag: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(part.url, { method: 'PUT', headers: part.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The slice of `file` that part `n` (1-based) holds for a part size. */
export function partOf(file: Buffer, partSize: number, n: number): Buffer {
  return file.subarray((n - 1) * partSize, n * partSize);
}

/** Waits until an upload reaches one of `statuses` and returns its view. */
export function settled(api: ApiClient, id: string, statuses = ['ready', 'rejected', 'failed', 'expired'], timeoutMs = 120_000) {
  return eventually(
    async () => {
      const res = await api.get(`/v1/uploads/${id}`);
      return statuses.includes(res.body.status) ? res.body : undefined;
    },
    timeoutMs,
    `upload ${id} to become ${statuses.join(' or ')}`,
  );
}

/**
 * The requests @uppy/aws-s3 6.x makes with `companionEndpoint` (its s3-client/CompanionS3.ts):
 * same paths, methods, bodies and query strings, and it reads the same response fields. Like
 * Uppy, it treats any non-2xx answer as a failure; `raw` keeps the answer for assertions.
 */
export class UppyCompanionCalls {
  constructor(readonly companionEndpoint: string) {}

  private fetch(path: string, init?: RequestInit) {
    return fetch(`${this.companionEndpoint}/s3${path}`, init);
  }

  createMultipartUpload(filename: string, type: string, metadata: Record<string, unknown>) {
    return this.fetch('/multipart', {
      method: 'POST',
      body: JSON.stringify({ filename, metadata, type }),
      headers: { 'content-type': 'application/json' },
    });
  }

  signPart(uploadId: string, partNumber: number, key: string) {
    return this.fetch(`/multipart/${encodeURIComponent(uploadId)}/${encodeURIComponent(partNumber)}?${new URLSearchParams({ key })}`, {
      method: 'GET',
    });
  }

  listParts(uploadId: string, key: string) {
    return this.fetch(`/multipart/${encodeURIComponent(uploadId)}?${new URLSearchParams({ key })}`, { method: 'GET' });
  }

  complete(uploadId: string, key: string, parts: Array<{ partNumber: number; etag: string }>) {
    return this.fetch(`/multipart/${encodeURIComponent(uploadId)}/complete?${new URLSearchParams({ key })}`, {
      method: 'POST',
      body: JSON.stringify({ parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) }),
      headers: { 'content-type': 'application/json' },
    });
  }

  abort(uploadId: string, key: string) {
    return this.fetch(`/multipart/${encodeURIComponent(uploadId)}?${new URLSearchParams({ key })}`, { method: 'DELETE' });
  }

  /** uploadPart: sign, then PUT the bytes as the browser's XHR does (no Content-Type on a Blob slice); the ETag without quotes, as Uppy keeps it. */
  async uploadPart(uploadId: string, key: string, partNumber: number, data: Buffer): Promise<string> {
    const signed = await this.signPart(uploadId, partNumber, key);
    if (!signed.ok) throw new Error(`sign part answered ${signed.status}: ${await signed.text()}`);
    const { url } = (await signed.json()) as { url: string };
    const put = await fetch(url, { method: 'PUT', body: new Uint8Array(data) });
    if (!put.ok) throw new Error(`storage refused part ${partNumber} (${put.status}): ${await put.text()}`);
    const etag = put.headers.get('etag')?.replace(/^"+|"+$/g, '');
    if (!etag) throw new Error('Missing ETag in uploadPart response headers');
    return etag;
  }
}
