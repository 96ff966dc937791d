import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectStorage } from './object-storage';

/** S3's limits on multipart uploads. */
export const MULTIPART_LIMITS = {
  maxParts: 10_000,
  minPartSize: 5 * 1024 ** 2,
  maxPartSize: 5 * 1024 ** 3,
} as const;

export interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
}

export interface PartUrl {
  partNumber: number;
  url: string;
  /** Headers the PUT must carry exactly (Content-Length is signed when the length is fixed). */
  headers: Record<string, string>;
}

/** Storage refused the parts list at assembly (a part changed or vanished between check and complete). */
export class PartsRejectedError extends Error {
  constructor(readonly s3Code: string) {
    super(`storage refused the parts list (${s3Code})`);
    this.name = 'PartsRejectedError';
  }
}

/**
 * S3 multipart uploads on ObjectStorage's clients: server calls on its own client, part URLs
 * signed by its presigning client (the one whose credentials may only write client keys).
 * Calls on an upload id S3 no longer knows (completed or aborted) answer null, not an error, so
 * callers can tell "already assembled" from a failure.
 */
export class MultipartStorage {
  constructor(private readonly storage: ObjectStorage) {}

  private get bucket() {
    return this.storage.bucket;
  }

  /** Starts a multipart upload; the content type is fixed here, as for a presigned PUT. */
  async create(key: string, contentType: string): Promise<string> {
    const res = await this.storage.serverClient.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
    );
    if (!res.UploadId) throw new Error('CreateMultipartUpload answered without an UploadId');
    return res.UploadId;
  }

  /**
   * A URL for one UploadPart. With `length`, Content-Length is signed, so storage refuses a part of
   * any other size; without it (Uppy picks its own part size) any length is accepted and the size
   * limit is enforced on the assembled object.
   */
  async presignPart(key: string, uploadId: string, partNumber: number, length: number | null, expiresIn: number): Promise<PartUrl> {
    const command = new UploadPartCommand({
      Bucket: this.bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      ...(length !== null ? { ContentLength: length } : {}),
    });
    const url = await getSignedUrl(this.storage.presigningClient, command, {
      expiresIn,
      ...(length !== null ? { signableHeaders: new Set(['content-length']) } : {}),
    });
    return { partNumber, url, headers: length !== null ? { 'Content-Length': String(length) } : {} };
  }

  /** Every part storage holds, in part order (all pages); null when the upload id is gone. */
  async listParts(key: string, uploadId: string): Promise<StoredPart[] | null> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    try {
      for (;;) {
        const res = await this.storage.serverClient.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker, MaxParts: 1000 }),
        );
        for (const p of res.Parts ?? []) parts.push({ partNumber: p.PartNumber!, etag: p.ETag!, size: p.Size ?? 0 });
        if (!res.IsTruncated || !res.NextPartNumberMarker) break;
        marker = res.NextPartNumberMarker;
      }
    } catch (err) {
      if (isNoSuchUpload(err)) return null;
      throw err;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /**
   * Assembles the object from `parts` (ascending part numbers) and returns its ETag; null when the
   * upload id is gone (already completed or aborted). PartsRejectedError when storage refuses the list.
   */
  async complete(key: string, uploadId: string, parts: Array<{ partNumber: number; etag: string }>): Promise<string | null> {
    try {
      const res = await this.storage.serverClient.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
      if (!res.ETag) throw new Error('CompleteMultipartUpload answered without an ETag');
      return res.ETag;
    } catch (err) {
      if (isNoSuchUpload(err)) return null;
      const code = err instanceof S3ServiceException ? err.name : undefined;
      if (code === 'InvalidPart' || code === 'InvalidPartOrder' || code === 'EntityTooSmall') throw new PartsRejectedError(code);
      throw err;
    }
  }

  /** Drops the upload and its parts. Idempotent: an upload id that is already gone is fine. */
  async abort(key: string, uploadId: string): Promise<void> {
    try {
      await this.storage.serverClient.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      if (!isNoSuchUpload(err)) throw err;
    }
  }

  /** Upload ids still open on exactly this key (so tests and cleanup can see what storage holds). */
  async openUploadIds(key: string): Promise<string[]> {
    const ids: string[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      const res = await this.storage.serverClient.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: key, KeyMarker: keyMarker, UploadIdMarker: idMarker }),
      );
      for (const u of res.Uploads ?? []) if (u.Key === key && u.UploadId) ids.push(u.UploadId);
      if (!res.IsTruncated) return ids;
      keyMarker = res.NextKeyMarker;
      idMarker = res.NextUploadIdMarker;
    }
  }
}

function isNoSuchUpload(err: unknown): boolean {
  return err instanceof S3ServiceException && (err.name === 'NoSuchUpload' || err.$metadata.httpStatusCode === 404);
}
