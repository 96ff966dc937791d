import { ErrorCode } from '../src/common/errors';
import type { MediaKind } from '../src/database/entities/upload.entity';
import { SNIFF_BYTES } from '../src/media/type-sniffer';
import { objectKeys } from '../src/storage/object-keys';
import { ObjectChangedError } from '../src/storage/object-storage';
import { judgeSniffedType } from '../src/uploads/upload-policy';
import type { ActivityDeps } from './deps';
import { about, activityLog, rejection } from './support';

export interface VerifyResult {
  kind: MediaKind;
  detectedType: string;
}

const tampered = () =>
  rejection(ErrorCode.TAMPERED, 'The object was replaced after the upload was completed');

/**
 * Step 1: the object the client declared complete (pinned by `etag`) exists, has the declared size,
 * and its bytes are the declared, allowed type. Then it becomes the upload's immutable original: a
 * server-side copy, conditional on the same ETag, to a key no client can write; the incoming object
 * is deleted. Every later step reads the original only.
 */
export function verifyActivities({ uploads, storage, sniffer }: ActivityDeps) {
  return {
    async verifyUpload({ uploadId, etag }: { uploadId: string; etag: string }): Promise<VerifyResult> {
      const upload = await uploads.get(uploadId);
      const incoming = objectKeys.incoming(upload.tenantId, upload.id);
      const original = objectKeys.original(upload.tenantId, upload.id);

      // A retry after the original was recorded: finish the hand-over and report the same verdict.
      if (upload.kind && upload.detectedType && upload.sourceEtag === etag && (await storage.head(original))) {
        await storage.delete(incoming);
        return { kind: upload.kind, detectedType: upload.detectedType };
      }
      await uploads.setStage(uploadId, 'verifying');

      try {
        const head = await storage.head(incoming);
        if (!head) throw rejection(ErrorCode.OBJECT_MISSING, 'No object was uploaded');
        if (head.etag !== etag) throw tampered();
        if (head.size !== upload.size) {
          throw rejection(ErrorCode.SIZE_MISMATCH, `Declared ${upload.size} bytes but the object has ${head.size}`, {
            declared: upload.size,
            actual: head.size,
          });
        }

        const sample = await storage.readHead(incoming, Math.min(SNIFF_BYTES, head.size), etag);
        const verdict = judgeSniffedType(upload.contentType, await sniffer.sniff(sample), sample);
        if (!verdict.ok) throw rejection(ErrorCode[verdict.code], verdict.message);

        await storage.copy(incoming, original, etag);
        await uploads.setVerified(uploadId, verdict.kind, verdict.detectedType, etag);
        await storage.delete(incoming);
        activityLog().info('upload verified', { ...about(upload), detectedType: verdict.detectedType });
        return { kind: verdict.kind, detectedType: verdict.detectedType };
      } catch (err) {
        if (err instanceof ObjectChangedError) throw tampered();
        throw err;
      }
    },
  };
}
