import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys are derived from tenant and upload (objectKeys), so the row no longer stores one. It records
 * what pins the bytes instead: the ETag the client declared complete, and the SHA-256 of the
 * original as it was scanned.
 */
export class TrustedOriginal1764100000000 implements MigrationInterface {
  name = 'TrustedOriginal1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE uploads DROP COLUMN object_key`);
    await q.query(`ALTER TABLE uploads ADD COLUMN source_etag text, ADD COLUMN sha256 text`);
    await q.query(`CREATE INDEX uploads_tenant_sha256 ON uploads (tenant_id, sha256) WHERE sha256 IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX uploads_tenant_sha256`);
    await q.query(`ALTER TABLE uploads DROP COLUMN sha256, DROP COLUMN source_etag`);
    await q.query(`ALTER TABLE uploads ADD COLUMN object_key text NOT NULL DEFAULT ''`);
  }
}
