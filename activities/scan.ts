import { Context } from '@temporalio/activity';
import { Transform } from 'node:stream';
import { ErrorCode } from '../src/common/errors';
import { objectKeys } from '../src/storage/object-keys';
import type { ActivityDeps } from './deps';
import { about, activityLog, rejection } from './support';

/**
 * Step 2: stream the object from S3 into clamd. Only clamd's explicit OK passes; an infected file
 * is moved to the quarantine prefix; an unreachable clamd throws and is retried, never skipped.
 */
export function scanActivities({ uploads, storage, scanner, config }: ActivityDeps) {
  return {
    async scanUpload({ uploadId }: { uploadId: string }): Promise<{ clean: true }> {
      const upload = await uploads.get(uploadId);
      await uploads.setStage(uploadId, 'scanning');
      if (upload.size > config.SCAN_MAX_BYTES) {
        throw rejection(
          ErrorCode.SCAN_LIMIT_EXCEEDED,
          `File is ${upload.size} bytes; the virus scanner vouches for at most ${config.SCAN_MAX_BYTES}`,
        );
      }

      const ctx = Context.current();
      let scanned = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          scanned += chunk.length;
          ctx.heartbeat({ scanned });
          callback(null, chunk);
        },
      });
      const body = await storage.openStream(upload.objectKey);
      body.on('error', (err) => counter.destroy(err));
      const verdict = await scanner.scan(body.pipe(counter));

      if (!verdict.clean) {
        const signature = verdict.signatures.join(', ') || 'unknown';
        await storage.move(upload.objectKey, objectKeys.quarantine(upload.tenantId, upload.id));
        activityLog().warn('upload infected, quarantined', { ...about(upload), signature });
        const code = /^Heuristics\.Limits\.Exceeded/.test(signature) ? ErrorCode.SCAN_LIMIT_EXCEEDED : ErrorCode.INFECTED;
        throw rejection(code, `Virus scanner found: ${signature}`, { signatures: verdict.signatures });
      }
      activityLog().info('upload scanned clean', { ...about(upload), bytes: scanned });
      return { clean: true };
    },
  };
}
