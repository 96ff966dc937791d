import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * The output generations of admin reruns (workflows/upload-rerun.ts). An upload serves the outputs
 * and video pieces of its `generation`; a retry moves what it kept to a new one, a reprocess
 * builds `next_generation` beside the served one and swaps it in, in one transaction each. Writes
 * are fenced by generation (OPEN_GENERATION in upload-store.ts), so no earlier run's attempt lands.
 */
@Injectable()
export class OutputGenerations {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * A retry takes a failed upload up again: processing, its error cleared, and what it kept
   * (outputs, video pieces) moved to a new generation with the same objects, so attempts of the
   * failed run are fenced off; its processing time (the complete-to-ready histogram) counts from
   * now, not from the first run. The new generation, or null when the upload was not `failed`.
   */
  async reopenFailed(id: string): Promise<number | null> {
    return this.dataSource.transaction(async (tx) => {
      const rows: Array<{ generation: number; previous: number }> = await tx.query(
        `WITH old AS (SELECT generation FROM uploads WHERE id = $1 AND status = 'failed' FOR UPDATE),
         up AS (UPDATE uploads u SET status = 'processing', stage = 'processing', progress = 0, error_code = NULL,
             error_message = NULL, completed_at = now(), generation = GREATEST(u.generation, COALESCE(u.next_generation, 0)) + 1,
             next_generation = NULL, updated_at = now()
           FROM old WHERE u.id = $1 RETURNING u.generation, old.generation AS previous)
         SELECT generation, previous FROM up`,
        [id],
      );
      const row = rows[0];
      if (!row) return null;
      for (const table of ['upload_outputs', 'video_pieces']) {
        await tx.query(`DELETE FROM ${table} WHERE upload_id = $1 AND generation <> $2`, [id, row.previous]);
        await tx.query(`UPDATE ${table} SET generation = $2 WHERE upload_id = $1`, [id, row.generation]);
      }
      return row.generation;
    });
  }

  /**
   * A reprocess starts building a new generation beside the served one (the upload stays `ready`);
   * an abandoned earlier one is superseded. The new generation, or null when the upload is not ready.
   */
  async beginReprocess(id: string): Promise<number | null> {
    const rows: Array<{ next_generation: number }> = await this.dataSource.query(
      `WITH up AS (UPDATE uploads SET next_generation = GREATEST(generation, COALESCE(next_generation, 0)) + 1
         WHERE id = $1 AND status = 'ready' RETURNING next_generation)
       SELECT next_generation FROM up`,
      [id],
    );
    return rows[0]?.next_generation ?? null;
  }

  /**
   * The reprocess is complete: in one transaction the upload serves `generation` and every other
   * generation's rows go (their objects are then unreferenced). True also when already swapped;
   * false when fenced off (the upload was deleted or another reprocess took over).
   */
  async promoteGeneration(id: string, generation: number): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const swapped: unknown[] = await tx.query(
        `WITH up AS (UPDATE uploads SET generation = $2, next_generation = NULL, updated_at = now()
           WHERE id = $1 AND status = 'ready' AND next_generation = $2 RETURNING id)
         SELECT id FROM up`,
        [id, generation],
      );
      if (!swapped.length) {
        const now: Array<{ generation: number }> = await tx.query(`SELECT generation FROM uploads WHERE id = $1`, [id]);
        return now[0]?.generation === generation;
      }
      for (const table of ['upload_outputs', 'video_pieces']) {
        await tx.query(`DELETE FROM ${table} WHERE upload_id = $1 AND generation <> $2`, [id, generation]);
      }
      return true;
    });
  }

  /**
   * A reprocess that failed: its partial generation goes, and the served set (same objects) takes
   * over its number, so the next reprocess builds a higher one and no late attempt of the failed
   * run (an activity that outlived it) can land in that. A retried discard changes nothing.
   */
  async discardGeneration(id: string, generation: number): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const rows: Array<{ generation: number; next_generation: number | null }> = await tx.query(
        `SELECT generation, next_generation FROM uploads WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const upload = rows[0];
      if (!upload || upload.generation === generation) return;
      for (const table of ['upload_outputs', 'video_pieces']) {
        await tx.query(`DELETE FROM ${table} WHERE upload_id = $1 AND generation = $2`, [id, generation]);
      }
      if (upload.next_generation !== generation) return;
      await tx.query(`UPDATE uploads SET generation = $2, next_generation = NULL WHERE id = $1`, [id, generation]);
      for (const table of ['upload_outputs', 'video_pieces']) {
        await tx.query(`UPDATE ${table} SET generation = $2 WHERE upload_id = $1 AND generation = $3`, [id, generation, upload.generation]);
      }
    });
  }

  /** Every object key a row of the upload still names (any generation): the rest of its outputs/ is garbage. */
  async referencedKeys(id: string): Promise<Set<string>> {
    const rows: Array<{ object_key: string }> = await this.dataSource.query(
      `SELECT object_key FROM upload_outputs WHERE upload_id = $1 UNION SELECT object_key FROM video_pieces WHERE upload_id = $1`,
      [id],
    );
    return new Set(rows.map((r) => r.object_key));
  }
}
