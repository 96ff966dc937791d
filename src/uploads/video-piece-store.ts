import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

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
 * The pieces of an upload's segmented transcode. Writes are fenced like output rows: only while
 * the upload is `processing`, so an attempt that outlived its upload records nothing.
 */
@Injectable()
export class VideoPieceStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Records one segment's pieces (every rung) together. `written` is false when fenced off;
   * `replacedKeys` are the objects an earlier attempt of the same segment had recorded.
   */
  async record(uploadId: string, pieces: VideoPiece[]): Promise<{ written: boolean; replacedKeys: string[] }> {
    return this.dataSource.transaction(async (tx) => {
      const open: unknown[] = await tx.query(`SELECT 1 FROM uploads WHERE id = $1 AND status = 'processing' FOR SHARE`, [uploadId]);
      if (!open.length) return { written: false, replacedKeys: [] };
      const replacedKeys: string[] = [];
      for (const p of pieces) {
        const old: Array<{ object_key: string }> = await tx.query(
          `SELECT object_key FROM video_pieces WHERE upload_id = $1 AND rung = $2 AND idx = $3`,
          [uploadId, p.rung, p.index],
        );
        await tx.query(
          `INSERT INTO video_pieces (upload_id, rung, idx, object_key, duration_seconds, bytes, width, height, codecs)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (upload_id, rung, idx) DO UPDATE SET object_key = EXCLUDED.object_key,
             duration_seconds = EXCLUDED.duration_seconds, bytes = EXCLUDED.bytes, width = EXCLUDED.width,
             height = EXCLUDED.height, codecs = EXCLUDED.codecs`,
          [uploadId, p.rung, p.index, p.objectKey, p.durationSeconds, p.bytes, p.width, p.height, p.codecs],
        );
        if (old[0] && old[0].object_key !== p.objectKey) replacedKeys.push(old[0].object_key);
      }
      return { written: true, replacedKeys };
    });
  }

  /** Every piece, by rung (lowest first) then segment. */
  async list(uploadId: string): Promise<VideoPiece[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT rung, idx, object_key, duration_seconds, bytes, width, height, codecs FROM video_pieces
       WHERE upload_id = $1 ORDER BY height, width, rung, idx`,
      [uploadId],
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
  async segmentsDone(uploadId: string, rung: string): Promise<number> {
    const rows: Array<{ n: string }> = await this.dataSource.query(
      `SELECT count(*) AS n FROM video_pieces WHERE upload_id = $1 AND rung = $2`,
      [uploadId, rung],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async deleteAll(uploadId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM video_pieces WHERE upload_id = $1`, [uploadId]);
  }
}
