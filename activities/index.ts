import type { ActivityDeps } from './deps';
import { finishActivities } from './finish';
import { metadataActivities } from './metadata';
import { notifyActivities } from './notify';
import { processActivities } from './process';
import { scanActivities } from './scan';
import { thumbnailActivities } from './thumbnail';
import { verifyActivities } from './verify';

export type { ActivityDeps } from './deps';

/** All pipeline activities, in pipeline order, built from their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...verifyActivities(deps),
    ...scanActivities(deps),
    ...metadataActivities(deps),
    ...processActivities(deps),
    ...thumbnailActivities(deps),
    ...finishActivities(deps),
    ...notifyActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
