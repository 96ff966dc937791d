import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A segmented transcode's pieces: one MPEG-TS file per (rung, segment), recorded by the attempt
 * that wrote it (its own key), so a retried segment replaces its piece and a stale attempt cannot.
 * The API builds an upload's HLS playlists from these rows.
 */
export class VideoPieces1764320000000 implements MigrationInterface {
  name = 'VideoPieces1764320000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE video_pieces (
        upload_id uuid NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
        rung text NOT NULL,
        idx integer NOT NULL,
        object_key text NOT NULL,
        duration_seconds double precision NOT NULL CHECK (duration_seconds > 0),
        bytes bigint NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        codecs text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (upload_id, rung, idx)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE video_pieces`);
  }
}
