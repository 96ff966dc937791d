import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The front door: several named, revocable API keys per tenant (the tenant's single key becomes
 * its first, named "default"), upload tokens for browsers, a per-tenant policy, and on each upload
 * its mode, its size limit, the token that made it and the client's metadata. A deleted upload
 * keeps its row with status `deleted`.
 */
export class FrontDoor1764200000000 implements MigrationInterface {
  name = 'FrontDoor1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_tenant_created ON api_keys (tenant_id, created_at)`);
    await q.query(`
      INSERT INTO api_keys (id, tenant_id, name, key_hash, prefix, created_at)
      SELECT gen_random_uuid(), id, 'default', api_key_hash, 'ik_', created_at FROM tenants`);
    await q.query(`ALTER TABLE tenants DROP COLUMN api_key_hash`);
    await q.query(`ALTER TABLE tenants ADD COLUMN policy jsonb NOT NULL DEFAULT '{}'`);

    await q.query(`
      CREATE TABLE upload_tokens (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        token_hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        max_uploads integer,
        uploads_created integer NOT NULL DEFAULT 0,
        max_file_size bigint,
        allowed_types text[],
        metadata jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`ALTER TABLE uploads ALTER COLUMN size DROP NOT NULL`);
    await q.query(`
      ALTER TABLE uploads
        ADD COLUMN max_size bigint,
        ADD COLUMN mode text NOT NULL DEFAULT 'put',
        ADD COLUMN token_id uuid,
        ADD COLUMN multipart_upload_id text,
        ADD COLUMN part_size bigint,
        ADD COLUMN client_metadata jsonb`);
    await q.query(`UPDATE uploads SET max_size = size`);
    await q.query(`ALTER TABLE uploads ALTER COLUMN max_size SET NOT NULL`);
    // GET /v1/uploads pages newest first by (created_at, id), optionally by status.
    await q.query(`CREATE INDEX uploads_tenant_created_id ON uploads (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX uploads_tenant_status_created_id ON uploads (tenant_id, status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX uploads_token ON uploads (token_id) WHERE token_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX uploads_token`);
    await q.query(`DROP INDEX uploads_tenant_status_created_id`);
    await q.query(`DROP INDEX uploads_tenant_created_id`);
    await q.query(`DELETE FROM uploads WHERE size IS NULL`);
    await q.query(`
      ALTER TABLE uploads DROP COLUMN client_metadata, DROP COLUMN part_size, DROP COLUMN multipart_upload_id,
        DROP COLUMN token_id, DROP COLUMN mode, DROP COLUMN max_size`);
    await q.query(`ALTER TABLE uploads ALTER COLUMN size SET NOT NULL`);
    await q.query(`DROP TABLE upload_tokens`);
    await q.query(`ALTER TABLE tenants DROP COLUMN policy`);
    await q.query(`ALTER TABLE tenants ADD COLUMN api_key_hash text UNIQUE`);
    await q.query(`
      UPDATE tenants t SET api_key_hash = k.key_hash FROM (
        SELECT DISTINCT ON (tenant_id) tenant_id, key_hash FROM api_keys WHERE revoked_at IS NULL ORDER BY tenant_id, created_at
      ) k WHERE k.tenant_id = t.id`);
    await q.query(`DROP TABLE api_keys`);
  }
}
