import { objectKeys } from '../storage/object-keys';

/**
 * How tus uploads map onto object keys. The tus store names each upload by its incoming key, so
 * the object S3 assembles when the last byte arrives is exactly the one verify reads, and nothing
 * is copied. Until then the key holds nothing: the bytes sit in an S3 multipart upload, which the
 * store completes once (a completed multipart upload takes no more parts).
 *
 * The store's own bookkeeping (`.info`: length, metadata, multipart id; `.part`: a tail shorter
 * than S3's minimum part size) lives under `tus/`, a prefix no other key uses, so it can neither
 * collide with incoming keys nor be swept by their lifecycle.
 */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const STORAGE_ID = new RegExp(`^incoming/(${UUID})/(${UUID})$`);
const STATE_KEY = new RegExp(`^tus/(${UUID})/(${UUID})\\.(info|part)$`);
export const UPLOAD_ID = new RegExp(`^${UUID}$`);

export const TUS_STATE_PREFIX = 'tus/';

export interface TusUploadRef {
  tenantId: string;
  uploadId: string;
}

export const tusKeys = {
  storageId: (ref: TusUploadRef) => objectKeys.incoming(ref.tenantId, ref.uploadId),

  /** The upload a store id names, or null for anything else. */
  parse(storageId: string): TusUploadRef | null {
    const match = STORAGE_ID.exec(storageId);
    return match ? { tenantId: match[1]!, uploadId: match[2]! } : null;
  },

  state(storageId: string, kind: 'info' | 'part'): string {
    const ref = tusKeys.parse(storageId);
    // The store only ever sees ids our namingFunction made; anything else is a bug, not input.
    if (!ref) throw new Error('not a tus storage id');
    return `${TUS_STATE_PREFIX}${ref.tenantId}/${ref.uploadId}.${kind}`;
  },

  /**
   * The prefix of exactly this upload's state objects (`.info` and `.part`): what deleting or
   * expiring an upload removes, with the multipart upload open on its incoming key.
   */
  statePrefix: (ref: TusUploadRef) => `${TUS_STATE_PREFIX}${ref.tenantId}/${ref.uploadId}.`,

  /** The upload a state key belongs to, or null. */
  parseState(key: string): TusUploadRef | null {
    const match = STATE_KEY.exec(key);
    return match ? { tenantId: match[1]!, uploadId: match[2]! } : null;
  },
};
