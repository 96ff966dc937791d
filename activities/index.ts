import { arrivalActivities } from './arrival';
import { audioActivities } from './audio';
import type { ActivityDeps } from './deps';
import { deletionActivities } from './deletion';
import { finishActivities } from './finish';
import { ingestActivities, releaseActivities } from './ingest';
import { metadataActivities } from './metadata';
import { notifyActivities } from './notify';
import { previewActivities } from './previews';
import { segmentActivities } from './segments';
import { processActivities } from './process';
import { rerunActivities } from './rerun';
import { thumbnailActivities } from './thumbnail';
import { verifyActivities } from './verify';

export type { ActivityDeps } from './deps';

/**
 * All pipeline activities, in pipeline order, built from their dependencies. The worker registers
 * them by where they run (see SESSION_ACTIVITIES).
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...arrivalActivities(deps),
    ...verifyActivities(deps),
    ...ingestActivities(deps),
    ...metadataActivities(deps),
    ...processActivities(deps),
    ...previewActivities(deps),
    ...audioActivities(deps),
    ...segmentActivities(deps),
    ...thumbnailActivities(deps),
    ...releaseActivities(deps),
    ...finishActivities(deps),
    ...notifyActivities(deps),
    ...deletionActivities(deps),
    ...rerunActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** A video's segments and their join: registered on the segments queue, for any transcode worker. */
export const TRANSCODE_ACTIVITIES = ['transcodeSegment', 'assembleVideo'] as const satisfies ReadonlyArray<keyof Activities>;

/** Delivery attempts: registered on the webhooks queue only, so consumers never hold upload slots. */
export const WEBHOOK_ACTIVITIES = ['attemptDeliveries', 'giveUpDeliveries'] as const satisfies ReadonlyArray<keyof Activities>;

/** The steps that read a worker's local copy: registered on that worker's own task queue only. */
export const SESSION_ACTIVITIES = [
  'extractMetadata',
  'processImage',
  'transcodeVideo',
  'createPoster',
  'createStoryboard',
  'processAudio',
  'splitVideo',
  'createThumbnail',
  'releaseWorkspace',
] as const satisfies ReadonlyArray<keyof Activities>;
