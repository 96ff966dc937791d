import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload as LibStorageUpload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Upload as TusUpload } from 'tus-js-client';
import type { ApiClient } from '../../test/support/api-client';

// Every transfer streams the file from disk: neither side ever holds it whole in memory.

/** PUT a byte range of a file to a URL (presigned PUT or part URL) with exactly the given headers. */
export async function putFileRange(url: string, headers: Record<string, string>, path: string, start: number, end: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve(String(res.headers.etag ?? '')) : reject(new Error(`storage answered ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    pipeline(createReadStream(path, { start, end: end - 1 }), req).catch(reject);
  });
}

/** Baseline: an authenticated SDK PUT of the whole file to the same store. */
export async function sdkPut(s3: S3Client, bucket: string, key: string, path: string, size: number): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: size }));
}

/** Baseline: @aws-sdk/lib-storage's multipart Upload, `queueSize` parts in flight. */
export async function libStorageUpload(s3: S3Client, bucket: string, key: string, path: string, partSize: number, queueSize: number): Promise<void> {
  await new LibStorageUpload({ client: s3, params: { Bucket: bucket, Key: key, Body: createReadStream(path) }, partSize, queueSize }).done();
}

export interface Created {
  id: string;
  upload: { method: string; url?: string; headers?: Record<string, string>; partSize?: number; partCount?: number };
}

export async function createUpload(api: ApiClient, body: Record<string, unknown>): Promise<Created> {
  const res = await api.post<Created>('/v1/uploads', body);
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Intake's multipart mode: part URLs from the API, `parallel` parts in flight, the API assembles. */
export async function intakeMultipart(api: ApiClient, created: Created, path: string, size: number, parallel: number): Promise<void> {
  const { partSize, partCount } = created.upload as { partSize: number; partCount: number };
  const numbers = Array.from({ length: partCount }, (_, i) => i + 1);
  const urls = new Map<number, { url: string; headers: Record<string, string> }>();
  for (let i = 0; i < numbers.length; i += 100) {
    const res = await api.post(`/v1/uploads/${created.id}/parts`, { partNumbers: numbers.slice(i, i + 100) });
    if (res.status !== 200) throw new Error(`parts answered ${res.status}: ${JSON.stringify(res.body)}`);
    for (const p of res.body.parts) urls.set(p.partNumber, { url: p.url, headers: p.headers });
  }
  let next = 0;
  const worker = async () => {
    while (next < numbers.length) {
      const n = numbers[next++]!;
      const start = (n - 1) * partSize;
      const part = urls.get(n)!;
      await putFileRange(part.url, part.headers, path, start, Math.min(size, start + partSize));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const done = await api.post(`/v1/uploads/${created.id}/complete`);
  if (done.status !== 202) throw new Error(`complete answered ${done.status}: ${JSON.stringify(done.body)}`);
}

/** tus 1.0 through the API with tus-js-client, as a resumable client would send it. */
export async function tusUpload(apiUrl: string, apiKey: string, path: string, size: number, chunkSize: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new TusUpload(createReadStream(path), {
      endpoint: `${apiUrl}/v1/tus`,
      headers: { Authorization: `Bearer ${apiKey}` },
      metadata: { filename: 'bench.bin', filetype: 'text/plain' },
      uploadSize: size,
      chunkSize,
      retryDelays: [],
      onError: reject,
      onSuccess: () => resolve(upload.url ?? ''),
    });
    upload.start();
  });
}
