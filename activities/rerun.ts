import type { MediaKind } from '../src/database/entities/upload.entity';
import type { KeysetPosition } from '../src/common/keyset-cursor';
import { objectKeys } from '../src/storage/object-keys';
import type { RerunFilter, RerunKind } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { about, activityLog } from './support';

/** What a rerun starts from; `refused` when the upload is not (any more) in a state to rerun. */
export type BegunRerun =
  | { generation: number; kind: MediaKind; metadataDone: boolean; doneOutputs: string[] }
  | { refused: string };

/**
 * The bookkeeping of admin reruns (workflows/upload-rerun.ts): take the upload up in a new output
 * generation, swap it in or drop it, remove what no row names; and a bulk rerun's pages.
 */
export function rerunActivities({ uploads, generations, storage, reruns }: ActivityDeps) {
  return {
    /** retry: failed -> processing, what it kept moved to a new generation; reprocess: a generation beside the served one. */
    async beginRerun({ uploadId, kind }: { uploadId: string; kind: RerunKind }): Promise<BegunRerun> {
      const upload = await uploads.get(uploadId);
      if (!upload.kind || !upload.sourceEtag) return { refused: `upload ${uploadId} has no verified original to rerun from` };
      const generation = kind === 'retry' ? await generations.reopenFailed(uploadId) : await generations.beginReprocess(uploadId);
      if (generation === null) return { refused: `upload ${uploadId} is ${upload.status}, not ${kind === 'retry' ? 'failed' : 'ready'}` };
      const done = kind === 'retry' ? await uploads.listOutputs(uploadId, generation) : [];
      activityLog().info('upload rerun begun', { ...about(upload), kind, generation, kept: done.map((o) => o.name) });
      return { generation, kind: upload.kind, metadataDone: kind === 'retry' && upload.metadata !== null, doneOutputs: done.map((o) => o.name) };
    },

    async promoteGeneration({ uploadId, generation }: { uploadId: string; generation: number }): Promise<boolean> {
      return generations.promoteGeneration(uploadId, generation);
    },

    async discardGeneration({ uploadId, generation }: { uploadId: string; generation: number }): Promise<void> {
      await generations.discardGeneration(uploadId, generation);
    },

    /**
     * Deletes the upload's output objects no row names (a replaced generation, a fenced attempt's
     * leftovers). Only called once the run's writes are fenced off, so nothing in flight is lost.
     */
    async dropUnreferencedOutputs({ uploadId }: { uploadId: string }): Promise<{ deleted: number }> {
      const upload = await uploads.get(uploadId);
      const referenced = await generations.referencedKeys(uploadId);
      const garbage = (await storage.listKeys(objectKeys.outputsPrefix(upload.tenantId, uploadId))).filter((k) => !referenced.has(k));
      for (const key of garbage) await storage.delete(key);
      if (garbage.length) activityLog().info('replaced outputs deleted', { ...about(upload), deleted: garbage.length });
      return { deleted: garbage.length };
    },

    /** One page of a bulk rerun: the next matching uploads after `after`, each started (`ids`). */
    async startRerunPage(input: {
      filter: RerunFilter;
      after?: KeysetPosition;
      limit: number;
    }): Promise<{ started: number; ids: string[]; next: KeysetPosition | null }> {
      const page = await reruns.candidates(input.filter, input.after, input.limit);
      const ids: string[] = [];
      for (const { upload } of page) if (await reruns.startQuietly(upload, input.filter.status === 'failed' ? 'retry' : 'reprocess')) ids.push(upload.id);
      const last = page[page.length - 1];
      return { started: ids.length, ids, next: page.length < input.limit || !last ? null : last.position };
    },

    /** Which of these uploads' workflows are still running (a bulk rerun's window). */
    async runningReruns({ uploadIds }: { uploadIds: string[] }): Promise<string[]> {
      return reruns.stillRunning(uploadIds);
    },
  };
}
