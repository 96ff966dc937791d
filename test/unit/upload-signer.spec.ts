import { ConfigError, loadConfig } from '../../src/config/config';
import { ObjectStorage } from '../../src/storage/object-storage';
import { presignPostFor } from '../../src/uploads/modes/post-policy';

/** Which credentials sign what a client gets (no network: signing is local). */
describe('upload URL signing credentials', () => {
  const restricted = { S3_PRESIGN_ACCESS_KEY_ID: 'uploads-only', S3_PRESIGN_SECRET_ACCESS_KEY: 'uploads-only-secret' };

  it('signs PUT URLs and POST policies with the write-only user, downloads with the main credentials', async () => {
    const storage = new ObjectStorage(loadConfig(restricted));
    try {
      expect(storage.uploadsSignedWithRestrictedCredentials).toBe(true);
      const put = await storage.presignPut('incoming/t/u', 'image/jpeg', 10, 60);
      expect(new URL(put.url).searchParams.get('X-Amz-Credential')).toMatch(/^uploads-only\//);
      const post = await presignPostFor(storage, {
        id: 'u', tenantId: 't', contentType: 'image/jpeg', size: null, maxSize: 500, expiresAt: new Date(Date.now() + 60_000),
      });
      expect(post.fields['X-Amz-Credential']).toMatch(/^uploads-only\//);
      const get = await storage.presignGet('uploads/t/u/outputs/x.webp', 60);
      expect(new URL(get).searchParams.get('X-Amz-Credential')).toMatch(/^intake\//);
    } finally {
      storage.destroy();
    }
  });

  it('reports falling back to the main credentials when none are configured (the app warns at start)', () => {
    const storage = new ObjectStorage(loadConfig({}));
    expect(storage.uploadsSignedWithRestrictedCredentials).toBe(false);
    storage.destroy();
  });

  it('refuses half a credential pair', () => {
    expect(() => new ObjectStorage(loadConfig({ S3_PRESIGN_ACCESS_KEY_ID: 'uploads-only' }))).toThrow(ConfigError);
    expect(() => new ObjectStorage(loadConfig({ S3_PRESIGN_SECRET_ACCESS_KEY: 'x' }))).toThrow(ConfigError);
    // Production must choose: the write-only user, or an explicit statement that the store refuses unsigned headers.
    expect(() => new ObjectStorage(loadConfig({ NODE_ENV: 'production' }))).toThrow(/S3_PRESIGN_ACCESS_KEY_ID/);
    expect(() => new ObjectStorage(loadConfig({ NODE_ENV: 'production', S3_PRESIGN_WITH_MAIN_CREDENTIALS: 'true' }))).not.toThrow();
    expect(() => new ObjectStorage(loadConfig({ NODE_ENV: 'production', ...restricted }))).not.toThrow();
  });

  it('bounds an undeclared size by the upload limit, a declared one exactly', async () => {
    const storage = new ObjectStorage(loadConfig(restricted));
    const base = { id: 'u', tenantId: 't', contentType: 'image/png', maxSize: 500, expiresAt: new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000) };
    const policyOf = async (size: number | null) => {
      const { fields } = await presignPostFor(storage, { ...base, size });
      return JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8'));
    };
    expect((await policyOf(null)).conditions).toContainEqual(['content-length-range', 1, 500]);
    const declared = await policyOf(42);
    expect(declared.conditions).toContainEqual(['content-length-range', 42, 42]);
    expect(declared.expiration).toBe(base.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    storage.destroy();
  });
});
