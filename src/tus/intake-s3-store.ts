import { NoSuchUpload, NotFound, S3ServiceException } from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import { TUS_STATE_PREFIX, TusUploadRef, tusKeys } from './tus-keys';

/**
 * @tus/s3-store with its bookkeeping objects moved under `tus/` (see tus-keys.ts), plus what the
 * reconciler needs: listing and dropping that bookkeeping. Never deletes the incoming object.
 */
export class IntakeS3Store extends S3Store {
  protected override infoKey(id: string): string {
    return tusKeys.state(id, 'info');
  }

  protected override partKey(id: string, isIncomplete = false): string {
    return isIncomplete ? tusKeys.state(id, 'part') : id;
  }

  /**
   * The base class saves the new length to `.info` but only updates its cached copy in place, which
   * a shared (Redis) cache never sees: drop the entry so every instance rereads `.info`. Without
   * this the store never learns the length and never completes the upload.
   */
  override async declareUploadLength(id: string, length: number): Promise<void> {
    await super.declareUploadLength(id, length);
    await this.clearCache(id);
  }

  /**
   * Uploads that still have tus state, up to `limit` of them, in key order from just after `after`
   * (a previous answer's `next`; undefined starts at the beginning). `next` is undefined once the
   * listing reached the end, so a caller that keeps passing it on visits every upload in turn.
   */
  async uploadsWithState(limit: number, after?: string): Promise<{ uploads: TusUploadRef[]; next: string | undefined }> {
    const found = new Map<string, TusUploadRef>();
    let startAfter = after;
    for (;;) {
      const page = await this.client.listObjectsV2({
        Bucket: this.bucket,
        Prefix: TUS_STATE_PREFIX,
        StartAfter: startAfter,
        // Up to two keys (`.info`, `.part`) per upload, and one more to see whether any follow.
        MaxKeys: Math.min(1000, 2 * limit + 1),
      });
      for (const { Key: key } of page.Contents ?? []) {
        const ref = key ? tusKeys.parseState(key) : null;
        if (!ref || found.has(ref.uploadId)) continue;
        if (found.size === limit) return { uploads: [...found.values()], next: startAfterAll([...found.values()]) };
        found.set(ref.uploadId, ref);
      }
      const last = page.Contents?.at(-1)?.Key;
      if (!page.IsTruncated || !last) return { uploads: [...found.values()], next: undefined };
      startAfter = last;
    }
  }

  /**
   * Drops an upload's tus state: aborts its multipart upload (the parts received so far) if it is
   * still open, deletes `.info` and `.part`, forgets the cached metadata. Idempotent.
   */
  async forget(ref: TusUploadRef): Promise<void> {
    const id = tusKeys.storageId(ref);
    try {
      const { 'upload-id': multipartId } = await this.getMetadata(id);
      if (multipartId) await this.client.abortMultipartUpload({ Bucket: this.bucket, Key: id, UploadId: multipartId });
    } catch (err) {
      // No .info, or the multipart upload is already completed or aborted: nothing left to abort.
      if (!isMissing(err)) throw err;
    }
    await this.client.deleteObjects({
      Bucket: this.bucket,
      Delete: { Objects: [{ Key: this.infoKey(id) }, { Key: this.partKey(id, true) }], Quiet: true },
    });
    await this.clearCache(id);
  }
}

/** A StartAfter past every state key of these uploads (`.part` sorts after `.info`). */
function startAfterAll(refs: TusUploadRef[]): string {
  const last = refs[refs.length - 1]!;
  return `${tusKeys.statePrefix(last)}part`;
}

function isMissing(err: unknown): boolean {
  if (err instanceof NoSuchUpload || err instanceof NotFound) return true;
  return err instanceof S3ServiceException && ['NoSuchKey', 'NoSuchUpload', 'NotFound'].includes(err.name);
}
