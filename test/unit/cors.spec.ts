import { corsOptions, parseCorsOrigins } from '../../src/common/cors';
import { loadConfig } from '../../src/config/config';

describe('CORS origins', () => {
  it('accepts exact http(s) origins only', () => {
    expect(parseCorsOrigins(' https://app.example.com, http://127.0.0.1:5173 ')).toEqual({
      origins: ['https://app.example.com', 'http://127.0.0.1:5173'],
      invalid: null,
    });
    expect(parseCorsOrigins('https://app.example.com/path').invalid).toBe('https://app.example.com/path');
    expect(parseCorsOrigins('*').invalid).toBe('*');
    expect(parseCorsOrigins('file:///tmp').invalid).toBe('file:///tmp');
    expect(() => loadConfig({ CORS_ORIGINS: 'app.example.com' })).toThrow(/CORS_ORIGINS/);
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
  });

  it('answers only the configured origins', async () => {
    const decide = (origin: string | undefined) =>
      new Promise((resolve) => (corsOptions(['https://app.example.com']).origin as Function)(origin, (_: unknown, ok: boolean) => resolve(ok)));
    await expect(decide('https://app.example.com')).resolves.toBe(true);
    await expect(decide('https://evil.example.com')).resolves.toBe(false);
    await expect(decide(undefined)).resolves.toBe(false);
  });
});
