import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { IntakeApiError } from './client';

/** What to send: a byte range of a file on disk (streamed) or of a Blob. */
export type ByteSource = { path: string } | { blob: Blob };

/**
 * PUTs bytes [start, end) of `source` to a presigned URL with exactly the headers the API handed
 * out (node:http: fetch will not let a caller set the signed Content-Length). Streams: a part is
 * never held in memory. Resolves with storage's ETag; `onBytes` is told of every chunk sent.
 */
export function putBytes(
  url: string,
  headers: Record<string, string>,
  source: ByteSource,
  start: number,
  end: number,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const body =
    'path' in source
      ? createReadStream(source.path, { start, end: end - 1, highWaterMark: 256 * 1024 })
      : Readable.fromWeb(source.blob.slice(start, end).stream() as Parameters<typeof Readable.fromWeb>[0]);
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // The API signs Content-Length when it knows the length; otherwise it is still needed (no chunked PUTs to S3).
    const length = Object.keys(headers).some((h) => h.toLowerCase() === 'content-length') ? {} : { 'content-length': String(end - start) };
    const req = request(url, { method: 'PUT', headers: { ...headers, ...length }, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const etag = res.headers.etag;
        if (res.statusCode === 200 && etag) return resolve(etag);
        reject(new IntakeApiError(res.statusCode ?? 0, 'UNEXPECTED_RESPONSE', `storage refused the PUT: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`));
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      body.destroy();
      reject(err);
    });
    body.on('data', (chunk: Buffer) => onBytes(chunk.length));
    body.on('error', (err: Error) => req.destroy(err));
    body.pipe(req);
  });
}
