import { ErrorCode } from '../src/common/errors';
import type { MediaKind } from '../src/database/entities/upload.entity';
import { SNIFF_BYTES } from '../src/media/type-sniffer';
import { objectKeys } from '../src/storage/object-keys';
import { ObjectChangedError } from '../src/storage/object-storage';
import { typeAllowedBy } from '../src/tenants/tenant-policy';
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
 * Step 1: the object the client declared complete (pinned by `etag`) exists and has the declared
 * size; it becomes the upload's immutable original (a server-side copy, conditional on the same
 * ETag, to a key no client can write), whose bytes must be the declared, allowed type. The incoming
 * object is deleted. Every later step reads the original only; a rejected upload's original is
 * deleted when the upload is finished.
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
        if (upload.size !== null && head.size !== upload.size) {
          throw rejection(ErrorCode.SIZE_MISMATCH, `Declared ${upload.size} bytes but the object has ${head.size}`, {
            declared: upload.size,
            actual: head.size,
          });
        }
        // Modes that declare no size (Uppy, deferred tus) are held to the limit here, on the bytes.
        if (head.size > upload.maxSize) {
          throw rejection(ErrorCode.FILE_TOO_LARGE, `The object has ${head.size} bytes; the limit is ${upload.maxSize}`);
        }
        if (head.size === 0) throw rejection(ErrorCode.OBJECT_MISSING, 'The uploaded object is empty');
        const limits = await uploads.limitsFor(uploadId);
        const quota = limits.policy.storageQuotaBytes;
        // An undeclared size is weighed and recorded in one locked step, before the copy, so two
        // concurrent verifies cannot both pass against the same baseline.
        if (upload.size === null && !(await uploads.recordSizeWithinQuota(upload, head.size, quota))) {
          throw rejection(ErrorCode.QUOTA_EXCEEDED, `The upload would take the tenant over its storage quota of ${quota} bytes`);
        }

        // Copy first, then judge the copy: what is sniffed is what every later step reads, with no
        // window between a check of the incoming object and the copy (an ETag is only an MD5).
        await storage.copy(incoming, original, etag);
        const sample = await storage.readHead(original, Math.min(SNIFF_BYTES, head.size));
        const verdict = judgeSniffedType(upload.contentType, await sniffer.sniff(sample), sample);
        if (!verdict.ok) throw rejection(ErrorCode[verdict.code], verdict.message);
        // The policy is judged on what the bytes are, not on what the client called them.
        if (!typeAllowedBy(verdict.detectedType, limits.policy.allowedTypes) || !typeAllowedBy(verdict.detectedType, limits.tokenAllowedTypes)) {
          throw rejection(ErrorCode.TYPE_NOT_ALLOWED, `Content is ${verdict.detectedType}, which this tenant or upload token does not allow`);
        }

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
