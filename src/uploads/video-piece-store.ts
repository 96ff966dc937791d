import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OPEN_GENERATION } from './upload-store';

/** One rung's piece of one segment, as stored. */
export interface VideoPiece {
  rung: string;
  index: number;
  objectKey: string;
  durationSeconds: number;
  bytes: number;
  width: number;
  height: number;
  codecs: string;
}

/**
 * The pieces of an upload's segmented transcode, per output generation. Writes are fenced like
 * output rows (OPEN_GENERATION), so an attempt that outlived its upload or its run records nothing.
 */
@Injectable()
export class VideoPieceStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Records one segment's pieces (every rung) together. `written` is false when fenced off;
   * `replacedKeys` are the objects an earlier attempt of the same segment had recorded.
   */
  async record(uploadId: string, generation: number, pieces: VideoPiece[]): Promise<{ written: boolean; replacedKeys: string[] }> {
    return this.dataSource.transaction(async (tx) => {
      const open: unknown[] = await tx.query(`SELECT 1 FROM uploads u WHERE u.id = $1 AND ${OPEN_GENERATION} FOR SHARE`, [uploadId, generation]);
      if (!open.length) return { written: false, replacedKeys: [] };
      const replacedKeys: string[] = [];
      for (const p of pieces) {
        const old: Array<{ object_key: string }> = await tx.query(
          `SELECT object_key FROM video_pieces WHERE upload_id = $1 AND generation = $2 AND rung = $3 AND idx = $4`,
          [uploadId, generation, p.rung, p.index],
        );
        await tx.query(
          `INSERT INTO video_pieces (upload_id, generation, rung, idx, object_key, duration_seconds, bytes, width, height, codecs)
           VALUES ($1, $10, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (upload_id, generation, rung, idx) DO UPDATE SET object_key = EXCLUDED.object_key,
             duration_seconds = EXCLUDED.duration_seconds, bytes = EXCLUDED.bytes, width = EXCLUDED.width,
             height = EXCLUDED.height, codecs = EXCLUDED.codecs`,
          [uploadId, p.rung, p.index, p.objectKey, p.durationSeconds, p.bytes, p.width, p.height, p.codecs, generation],
        );
        if (old[0] && old[0].object_key !== p.objectKey) replacedKeys.push(old[0].object_key);
      }
      return { written: true, replacedKeys };
    });
  }

  /** Every piece the upload serves (or of `generation`), by rung (lowest first) then segment. */
  async list(uploadId: string, generation?: number): Promise<VideoPiece[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT v.rung, v.idx, v.object_key, v.duration_seconds, v.bytes, v.width, v.height, v.codecs
       FROM video_pieces v JOIN uploads u ON u.id = v.upload_id
       WHERE v.upload_id = $1 AND v.generation = COALESCE($2, u.generation) ORDER BY v.height, v.width, v.rung, v.idx`,
      [uploadId, generation ?? null],
    );
    return rows.map((r) => ({
      rung: r.rung as string,
      index: r.idx as number,
      objectKey: r.object_key as string,
      durationSeconds: Number(r.duration_seconds),
      bytes: Number(r.bytes),
      width: r.width as number,
      height: r.height as number,
      codecs: r.codecs as string,
    }));
  }

  /** How many segments have a piece of the given rung: the transcode's progress. */
  async segmentsDone(uploadId: string, generation: number, rung: string): Promise<number> {
    const rows: Array<{ n: string }> = await this.dataSource.query(
      `SELECT count(*) AS n FROM video_pieces WHERE upload_id = $1 AND generation = $2 AND rung = $3`,
      [uploadId, generation, rung],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async deleteAll(uploadId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM video_pieces WHERE upload_id = $1`, [uploadId]);
  }
}
