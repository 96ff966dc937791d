import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live status (src/live-status): every change of an upload's status, stage or progress announces
 * its id on channel `upload_changed`, so each API process needs one LISTEN connection rather than
 * one poller per open stream. PostgreSQL delivers it on commit and folds repeats within a transaction.
 */
export class UploadChangeNotifications1764310000000 implements MigrationInterface {
  name = 'UploadChangeNotifications1764310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION notify_upload_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('upload_changed', NEW.id::text);
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER uploads_notify_change AFTER UPDATE ON uploads FOR EACH ROW
      WHEN (OLD.status IS DISTINCT FROM NEW.status
         OR OLD.stage IS DISTINCT FROM NEW.stage
         OR OLD.progress IS DISTINCT FROM NEW.progress)
      EXECUTE FUNCTION notify_upload_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER uploads_notify_change ON uploads`);
    await q.query(`DROP FUNCTION notify_upload_changed()`);
  }
}
