import { MigrationInterface, QueryRunner } from 'typeorm';

/** Uploads can be deleted (DELETE /v1/uploads/:id): the row stays, with status `deleted`. */
export class DeletedUploads1764240000000 implements MigrationInterface {
  name = 'DeletedUploads1764240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE uploads DROP CONSTRAINT uploads_status_check`);
    await q.query(
      `ALTER TABLE uploads ADD CONSTRAINT uploads_status_check
         CHECK (status IN ('awaiting_upload','processing','ready','rejected','failed','expired','deleted'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Their data is gone either way; `expired` is the old status that holds nothing.
    await q.query(`UPDATE uploads SET status = 'expired' WHERE status = 'deleted'`);
    await q.query(`ALTER TABLE uploads DROP CONSTRAINT uploads_status_check`);
    await q.query(
      `ALTER TABLE uploads ADD CONSTRAINT uploads_status_check
         CHECK (status IN ('awaiting_upload','processing','ready','rejected','failed','expired'))`,
    );
  }
}
