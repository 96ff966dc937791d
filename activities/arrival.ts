import { objectKeys } from '../src/storage/object-keys';
import type { ActivityDeps } from './deps';
import { about, activityLog } from './support';

/** How a form (`post`) upload's bytes are noticed when no notification says so: look. */
export function arrivalActivities({ uploads, storage }: ActivityDeps) {
  return {
    /**
     * The ETag of the object at the upload's incoming key, or null while there is none. Storage
     * enforced the POST policy (key, size, type), so an object there is the client's upload; the
     * workflow pins this ETag exactly as `complete` would.
     */
    async checkArrival({ uploadId }: { uploadId: string }): Promise<{ etag: string } | null> {
      const upload = await uploads.get(uploadId);
      const head = await storage.head(objectKeys.incoming(upload.tenantId, upload.id));
      if (!head?.etag) return null;
      // What complete does through the API: the upload is shown as processing from here on.
      await uploads.markProcessing(uploadId);
      activityLog().info('upload arrival found by polling', about(upload));
      return { etag: head.etag };
    },
  };
}
