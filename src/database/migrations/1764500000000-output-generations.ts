import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reruns (src/admin): an upload's outputs and video pieces belong to a generation. `generation` is
 * the set served (or being built while the upload is processing); a reprocess builds
 * `next_generation` beside it while the old set stays served, then one transaction swaps them.
 * Writes name their generation, so a stale attempt of an earlier run is fenced off.
 */
export class OutputGenerations1764500000000 implements MigrationInterface {
  name = 'OutputGenerations1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE uploads ADD COLUMN generation integer NOT NULL DEFAULT 0, ADD COLUMN next_generation integer`);
    await q.query(`ALTER TABLE upload_outputs ADD COLUMN generation integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE upload_outputs DROP CONSTRAINT upload_outputs_upload_name`);
    await q.query(`ALTER TABLE upload_outputs ADD CONSTRAINT upload_outputs_upload_generation_name UNIQUE (upload_id, generation, name)`);
    await q.query(`ALTER TABLE video_pieces ADD COLUMN generation integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE video_pieces DROP CONSTRAINT video_pieces_pkey`);
    await q.query(`ALTER TABLE video_pieces ADD PRIMARY KEY (upload_id, generation, rung, idx)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM video_pieces v USING uploads u WHERE u.id = v.upload_id AND v.generation <> u.generation`);
    await q.query(`DELETE FROM upload_outputs o USING uploads u WHERE u.id = o.upload_id AND o.generation <> u.generation`);
    await q.query(`ALTER TABLE video_pieces DROP CONSTRAINT video_pieces_pkey`);
    await q.query(`ALTER TABLE video_pieces DROP COLUMN generation`);
    await q.query(`ALTER TABLE video_pieces ADD PRIMARY KEY (upload_id, rung, idx)`);
    await q.query(`ALTER TABLE upload_outputs DROP CONSTRAINT upload_outputs_upload_generation_name`);
    await q.query(`ALTER TABLE upload_outputs DROP COLUMN generation`);
    await q.query(`ALTER TABLE upload_outputs ADD CONSTRAINT upload_outputs_upload_name UNIQUE (upload_id, name)`);
    await q.query(`ALTER TABLE uploads DROP COLUMN generation, DROP COLUMN next_generation`);
  }
}
