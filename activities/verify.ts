import { ErrorCode } from '../src/common/errors';
import type { MediaKind } from '../src/database/entities/upload.entity';
import { SNIFF_BYTES } from '../src/media/type-sniffer';
import { judgeSniffedType } from '../src/uploads/upload-policy';
import type { ActivityDeps } from './deps';
import { about, activityLog, rejection } from './support';

export interface VerifyResult {
  kind: MediaKind;
  detectedType: string;
}

/** Step 1: the object exists, has the declared size, and its bytes are the declared, allowed type. */
export function verifyActivities({ uploads, storage, sniffer }: ActivityDeps) {
  return {
    async verifyUpload({ uploadId }: { uploadId: string }): Promise<VerifyResult> {
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'verifying');

      const head = await storage.head(upload.objectKey);
      if (!head) throw rejection(ErrorCode.OBJECT_MISSING, 'No object was uploaded');
      if (head.size !== upload.size) {
        throw rejection(ErrorCode.SIZE_MISMATCH, `Declared ${upload.size} bytes but the object has ${head.size}`, {
          declared: upload.size,
          actual: head.size,
        });
      }

      const sample = await storage.readHead(upload.objectKey, Math.min(SNIFF_BYTES, head.size));
      const verdict = judgeSniffedType(upload.contentType, await sniffer.sniff(sample), sample);
      if (!verdict.ok) throw rejection(ErrorCode[verdict.code], verdict.message);

      await uploads.setVerified(uploadId, verdict.kind, verdict.detectedType);
      activityLog().info('upload verified', { ...about(upload), detectedType: verdict.detectedType });
      return { kind: verdict.kind, detectedType: verdict.detectedType };
    },
  };
}
