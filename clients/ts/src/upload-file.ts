import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { IntakeApi, IntakeApiError, unwrap } from './client';
import { ByteSource, putBytes } from './put-bytes';

export interface UploadProgress {
  /** Bytes storage holds or that are on their way (parts already stored on resume count). */
  sentBytes: number;
  totalBytes: number;
}

/** What it takes to resume a multipart upload: keep it (the CLI writes it to a state file). */
export interface ResumeState {
  uploadId: string;
  partSize: number;
}

export interface UploadFileOptions {
  /** `auto` (default): a single PUT up to `multipartThreshold`, multipart above it. */
  mode?: 'auto' | 'put' | 'multipart';
  multipartThreshold?: number;
  /** Defaults to the file's name. */
  filename?: string;
  /** Defaults from the extension (the pipeline checks the real bytes either way). */
  contentType?: string;
  metadata?: Record<string, string>;
  onProgress?: (progress: UploadProgress) => void;
  /** Called once a multipart upload exists, before any byte is sent. */
  onCreated?: (resume: ResumeState) => void;
  /** Continue this multipart upload: only the parts storage does not hold are sent. */
  resume?: ResumeState;
  signal?: AbortSignal;
  /** Parts in flight at once. */
  concurrency?: number;
}

export const DEFAULT_MULTIPART_THRESHOLD = 64 * 1024 ** 2;
const MAX_PARTS_PER_CALL = 100;

const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.heic': 'image/heic',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.m4a': 'audio/mp4',
  '.ogg': 'audio/ogg',
  '.flac': 'audio/flac',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.zip': 'application/zip',
};

export function contentTypeFor(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/** Runs `work` over `items` with at most `limit` at once; the first failure stops the rest. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      try {
        await work(items[next++]!);
      } catch (err) {
        next = items.length; // the other workers take no further item
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The whole client side of an upload: create it, send the bytes (one presigned PUT, or presigned
 * parts), complete it. Streams from disk. Resolves with the upload id once the pipeline has it
 * (status `processing`); follow it with waitUntilReady.
 */
export async function uploadFile(api: IntakeApi, file: string | Blob, options: UploadFileOptions = {}): Promise<string> {
  const source: ByteSource = typeof file === 'string' ? { path: file } : { blob: file };
  const size = typeof file === 'string' ? (await stat(file)).size : file.size;
  const filename = options.filename ?? (typeof file === 'string' ? basename(file) : (file as { name?: string }).name ?? 'upload.bin');
  const contentType = options.contentType ?? (typeof file !== 'string' && file.type ? file.type : contentTypeFor(filename));
  const mode = options.resume ? 'multipart' : options.mode ?? 'auto';
  const multipart = mode === 'multipart' || (mode === 'auto' && size > (options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD));
  let sent = 0;
  const progressed = (n: number) => {
    sent += n;
    options.onProgress?.({ sentBytes: sent, totalBytes: size });
  };
  const init = { signal: options.signal };

  if (!multipart) {
    const created = unwrap(await api.POST('/v1/uploads', { body: { filename, contentType, size, mode: 'put', metadata: options.metadata }, ...init }));
    if (created.upload.method !== 'PUT') throw new IntakeApiError(0, 'UNEXPECTED_RESPONSE', `asked for a PUT, got ${created.upload.method}`);
    await putBytes(created.upload.url, created.upload.headers, source, 0, size, progressed, options.signal);
    unwrap(await api.POST('/v1/uploads/{id}/complete', { params: { path: { id: created.id } }, ...init }));
    return created.id;
  }

  let resume = options.resume;
  if (!resume) {
    const created = unwrap(await api.POST('/v1/uploads', { body: { filename, contentType, size, mode: 'multipart', metadata: options.metadata }, ...init }));
    if (created.upload.method !== 'MULTIPART') throw new IntakeApiError(0, 'UNEXPECTED_RESPONSE', `asked for multipart, got ${created.upload.method}`);
    resume = { uploadId: created.id, partSize: created.upload.partSize };
    options.onCreated?.(resume);
  }
  const { uploadId: id, partSize } = resume;
  const path = { id };
  const partCount = Math.max(1, Math.ceil(size / partSize));
  const lengthOf = (n: number) => Math.min(partSize, size - (n - 1) * partSize);

  // What storage holds already (nothing for a new upload): parts of the right size are kept.
  const stored = options.resume ? unwrap(await api.GET('/v1/uploads/{id}/parts', { params: { path }, ...init })).parts : [];
  const held = new Set(stored.filter((p) => p.partNumber <= partCount && p.size === lengthOf(p.partNumber)).map((p) => p.partNumber));
  progressed([...held].reduce((total, n) => total + lengthOf(n), 0));
  const missing = Array.from({ length: partCount }, (_, i) => i + 1).filter((n) => !held.has(n));

  for (let i = 0; i < missing.length; i += MAX_PARTS_PER_CALL) {
    const batch = missing.slice(i, i + MAX_PARTS_PER_CALL);
    const signed = unwrap(await api.POST('/v1/uploads/{id}/parts', { params: { path }, body: { partNumbers: batch }, ...init })).parts;
    await inParallel(signed, options.concurrency ?? 4, async (part) => {
      const start = (part.partNumber - 1) * partSize;
      await putBytes(part.url, part.headers, source, start, start + lengthOf(part.partNumber), progressed, options.signal);
    });
  }
  // Without a list, Intake assembles what storage holds (and checks every part is there, sized right).
  unwrap(await api.POST('/v1/uploads/{id}/complete', { params: { path }, ...init }));
  return id;
}
