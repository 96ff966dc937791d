import { MigrationInterface, QueryRunner } from 'typeorm';

/** When an upload's bytes were complete (awaiting_upload -> processing): the start of its processing time. */
export class UploadCompletedAt1764400000000 implements MigrationInterface {
  name = 'UploadCompletedAt1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE uploads ADD COLUMN completed_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE uploads DROP COLUMN completed_at`);
  }
}
