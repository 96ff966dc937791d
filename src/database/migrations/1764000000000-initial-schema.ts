import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        api_key_hash text NOT NULL UNIQUE,
        webhook_url text,
        webhook_secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE uploads (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        filename text NOT NULL,
        content_type text NOT NULL,
        size bigint NOT NULL CHECK (size > 0),
        object_key text NOT NULL,
        status text NOT NULL CHECK (status IN ('awaiting_upload','processing','ready','rejected','failed','expired')),
        stage text NOT NULL,
        progress smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        kind text,
        detected_type text,
        metadata jsonb,
        error_code text,
        error_message text,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX uploads_tenant_created ON uploads (tenant_id, created_at)`);
    await q.query(`
      CREATE TABLE upload_outputs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        upload_id uuid NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
        name text NOT NULL,
        object_key text NOT NULL,
        content_type text NOT NULL,
        size bigint NOT NULL,
        width integer,
        height integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT upload_outputs_upload_name UNIQUE (upload_id, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE upload_outputs`);
    await q.query(`DROP TABLE uploads`);
    await q.query(`DROP TABLE tenants`);
  }
}
