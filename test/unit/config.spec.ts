import { ConfigError, effectiveMaxUploadBytes, loadConfig } from '../../src/config/config';

describe('configuration', () => {
  it('runs on embedded defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      S3_BUCKET: 'intake',
      S3_FORCE_PATH_STYLE: true,
      MAX_UPLOAD_BYTES: 5 * 1024 ** 3,
      WORKER_QUEUES: ['uploads', 'transcode', 'webhooks', 'backfill'],
    });
    expect(config.ADMIN_TOKEN).toBeUndefined();
  });

  it('coerces numbers and booleans, and treats empty strings as unset', () => {
    const config = loadConfig({ PORT: '4100', S3_FORCE_PATH_STYLE: 'false', ADMIN_TOKEN: '', WORKER_QUEUES: ' transcode ' });
    expect([config.PORT, config.S3_FORCE_PATH_STYLE, config.ADMIN_TOKEN, config.WORKER_QUEUES]).toEqual([
      4100,
      false,
      undefined,
      ['transcode'],
    ]);
  });

  it('refuses invalid values with a message naming each field', () => {
    expect(() => loadConfig({ PORT: 'eighty', WORKER_QUEUES: 'uploads,thumbnails', ADMIN_TOKEN: 'short' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ PORT: 'eighty', ADMIN_TOKEN: 'short' })).toThrow(
      /PORT: .*; ADMIN_TOKEN: ADMIN_TOKEN must be at least 16 characters/,
    );
  });

  it('never accepts more than the virus scanner can vouch for', () => {
    expect(effectiveMaxUploadBytes({ MAX_UPLOAD_BYTES: 5 * 1024 ** 3, SCAN_MAX_BYTES: 2 * 1024 ** 3 - 3 })).toBe(
      2 * 1024 ** 3 - 3,
    );
    expect(effectiveMaxUploadBytes({ MAX_UPLOAD_BYTES: 1000, SCAN_MAX_BYTES: 2 * 1024 ** 3 - 3 })).toBe(1000);
  });
});
