import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator } from '../../src/auth/authenticator';
import type { Principal } from '../../src/auth/principal';
import { NewUploadToken, UploadTokenStore } from '../../src/auth/upload-token-store';
import { errors } from '../../src/common/errors';
import { ErrorFilter } from '../../src/common/http-exception.filter';
import { createLogger } from '../../src/common/logger';
import { AppConfig, CONFIG, loadConfig } from '../../src/config/config';
import { DEMO_TOKEN_MAX_UPLOADS, DEMO_TOKEN_TTL_SECONDS } from '../../src/demo/demo.controller';
import { demoCsp } from '../../src/demo/demo-page';
import { demoControllers, demoEnabled } from '../../src/demo/demo-routes';
import { DemoUploadView, formatBytes, parseStoryboard, uploadIdOf, uploaderFor } from '../../src/demo/page/upload-routing';
import { storyboardCues, storyboardVtt } from '../../src/media/storyboard';
import type { UploadView } from '../../src/uploads/upload-view';

// The page reads the API's view through its own narrower type: the API's must still fit it.
const viewFits = (view: UploadView): DemoUploadView => view;
void viewFits;

const TENANT = '11111111-2222-4333-8444-555555555555';
const UPLOAD = '66666666-7777-4888-8999-aaaaaaaaaaaa';

describe('whether the demo is on', () => {
  it.each([
    [{}, true],
    [{ NODE_ENV: 'production' }, false],
    [{ NODE_ENV: 'production', DEMO_ENABLED: 'true' }, true],
    [{ DEMO_ENABLED: 'false' }, false],
  ])('%j -> %s', (env, on) => {
    const config = loadConfig(env);
    expect(demoEnabled(config)).toBe(on);
    expect(demoControllers(config).length > 0).toBe(on);
  });
});

describe('the demo routes over HTTP', () => {
  const minted: NewUploadToken[] = [];
  let principal: Principal | null = null;
  let databaseDown = false;
  let app: INestApplication | undefined;

  async function serve(env: Record<string, string>): Promise<string> {
    const config: AppConfig = loadConfig(env);
    const module = await Test.createTestingModule({
      controllers: demoControllers(config),
      providers: [
        { provide: CONFIG, useValue: config },
        // Fakes of the two stores the routes use: what they are asked is what is checked.
        {
          provide: Authenticator,
          useValue: {
            authenticate: async (secret: string | null) => {
              if (databaseDown) throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
              if (!principal || secret !== 'ik_demo') throw errors.unauthorized();
              return principal;
            },
          },
        },
        {
          provide: UploadTokenStore,
          useValue: {
            create: async (token: NewUploadToken) => {
              minted.push(token);
              return { token: { id: 't', ...token }, secret: 'ut_minted' };
            },
          },
        },
      ],
    }).compile();
    app = module.createNestApplication({ logger: false });
    app.useGlobalFilters(new ErrorFilter(createLogger('silent', 'test')));
    await app.listen(0, '127.0.0.1');
    return app.getUrl();
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
    minted.length = 0;
    principal = null;
    databaseDown = false;
  });

  it('has no /demo and no token route in production unless DEMO_ENABLED says so', async () => {
    const url = await serve({ NODE_ENV: 'production' });
    expect((await fetch(`${url}/demo`)).status).toBe(404);
    expect((await fetch(`${url}/demo/upload-token`, { method: 'POST' })).status).toBe(404);
  });

  it('mints short-lived tokens for the tenant of the key in DEMO_API_KEY_FILE, and for no one without one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-demo-unit-'));
    const keyFile = join(dir, 'key');
    const url = await serve({ DEMO_API_KEY_FILE: keyFile });
    const mint = () => fetch(`${url}/demo/upload-token`, { method: 'POST' });

    expect((await mint()).status).toBe(404); // no file yet
    await writeFile(keyFile, 'ik_demo\n');
    principal = { kind: 'upload_token', tenant: { id: TENANT } } as Principal;
    expect((await mint()).status).toBe(404); // a token in the file mints nothing
    expect(minted).toEqual([]);

    principal = { kind: 'api_key', tenant: { id: TENANT }, apiKeyId: 'k' } as Principal;
    const before = Date.now();
    const res = await mint();
    expect(res.status).toBe(201);
    expect(((await res.json()) as { token: string }).token).toBe('ut_minted');
    expect(minted).toHaveLength(1);
    expect(minted[0]).toMatchObject({ tenantId: TENANT, maxUploads: DEMO_TOKEN_MAX_UPLOADS });
    const ttl = minted[0]!.expiresAt.getTime() - before;
    expect(ttl).toBeGreaterThan((DEMO_TOKEN_TTL_SECONDS - 5) * 1000);
    expect(ttl).toBeLessThanOrEqual(DEMO_TOKEN_TTL_SECONDS * 1000 + 1000);
  });

  it('mints no token for a page on another origin (a site the developer visits, or one DNS-rebound to the API)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-demo-unit-'));
    const keyFile = join(dir, 'key');
    await writeFile(keyFile, 'ik_demo\n');
    principal = { kind: 'api_key', tenant: { id: TENANT }, apiKeyId: 'k' } as Principal;
    const url = await serve({ DEMO_API_KEY_FILE: keyFile, PUBLIC_API_URL: 'http://127.0.0.1:3000' });
    const mint = (origin: string) => fetch(`${url}/demo/upload-token`, { method: 'POST', headers: { origin } });

    for (const foreign of ['https://evil.example', 'http://evil.example:3000', 'null', 'http://localhost:3000']) {
      const refused = await mint(foreign);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/demo page/) } });
    }
    expect(minted).toEqual([]);
    // The demo page itself, opened at PUBLIC_API_URL, sends its own origin.
    expect((await mint('http://127.0.0.1:3000')).status).toBe(201);
    expect(minted).toHaveLength(1);
  });

  it('says the database is unavailable when it is, not that the demo tenant is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-demo-unit-'));
    const keyFile = join(dir, 'key');
    await writeFile(keyFile, 'ik_demo\n');
    databaseDown = true;
    const res = await fetch(`${await serve({ DEMO_API_KEY_FILE: keyFile })}/demo/upload-token`, { method: 'POST' });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'DEPENDENCY_UNAVAILABLE', message: expect.not.stringMatching(/10\.0\.0\.5/) } });
  });

  it('serves only the two bundle files under /demo/assets', async () => {
    const url = await serve({});
    expect((await fetch(`${url}/demo/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${url}/demo/assets/demo.js.LEGAL.txt`)).status).toBe(404);
  });
});

describe("the demo page's Content Security Policy", () => {
  it('allows only this API and the storage it links to', () => {
    const csp = demoCsp(loadConfig({ PUBLIC_API_URL: 'http://api.local:3000', S3_ENDPOINT: 'http://s3.local:9000' }));
    const ours = "'self' http://api.local:3000 http://s3.local:9000";
    expect(csp).toBe(
      `default-src 'self'; connect-src ${ours}; img-src ${ours} blob: data:; media-src ${ours} blob:; ` +
        "script-src 'self'; style-src 'self'; worker-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    );
  });
});

describe('the demo page logic', () => {
  it('sends files over 100 MiB over tus and the rest to S3', () => {
    expect(uploaderFor(100 * 1024 * 1024)).toBe('s3');
    expect(uploaderFor(100 * 1024 * 1024 + 1)).toBe('tus');
    expect(uploaderFor(null)).toBe('s3');
  });

  it('finds the Intake upload in what either Uppy plugin reports', () => {
    expect(uploadIdOf({ body: { key: `incoming/${TENANT}/${UPLOAD}` } })).toBe(UPLOAD);
    expect(uploadIdOf({ uploadURL: `http://127.0.0.1:3000/v1/tus/${UPLOAD}` })).toBe(UPLOAD);
    expect(uploadIdOf({ body: { key: 'elsewhere/x' } })).toBeNull();
    expect(uploadIdOf(undefined)).toBeNull();
  });

  it('reads the storyboard WebVTT the API writes', () => {
    const layout = { intervalSeconds: 2, columns: 2, rows: 2, tiles: 3, tileWidth: 160, tileHeight: 90, sheetWidth: 320, sheetHeight: 180 };
    const vtt = storyboardVtt(storyboardCues(5, layout), 'https://s3.local/sheet.jpg?X-Amz-Signature=abc');
    expect(parseStoryboard(vtt)).toEqual([
      { start: 0, end: 2, sheet: 'https://s3.local/sheet.jpg?X-Amz-Signature=abc', x: 0, y: 0, w: 160, h: 90 },
      { start: 2, end: 4, sheet: 'https://s3.local/sheet.jpg?X-Amz-Signature=abc', x: 160, y: 0, w: 160, h: 90 },
      { start: 4, end: 5, sheet: 'https://s3.local/sheet.jpg?X-Amz-Signature=abc', x: 0, y: 90, w: 160, h: 90 },
    ]);
  });

  it('prints sizes in binary units', () => {
    expect([formatBytes(512), formatBytes(2048), formatBytes(5 * 1024 * 1024 + 1), formatBytes(null)]).toEqual(['512 B', '2.0 KiB', '5.0 MiB', '?']);
  });
});
