import type { INestApplication } from '@nestjs/common';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { API_FILES, createPreviewApp, renderApiDocument } from '../../scripts/openapi-files';
import { TUS_PATH } from '../../src/tus/tus-endpoint';
import { WEBHOOK_EVENT_TYPES } from '../../workflows/contract';
import { WEBHOOK_EVENT_EXAMPLES } from '../../src/webhooks/event-examples';
import { ResponseContract } from '../support/response-contract';

const root = resolve(__dirname, '..', '..');
let app: INestApplication;
let rendered: string;
let document: { openapi: string; paths: Record<string, Record<string, unknown>>; webhooks: Record<string, unknown> };

beforeAll(async () => {
  app = await createPreviewApp();
  rendered = renderApiDocument(app);
  document = JSON.parse(rendered);
});
afterAll(() => app?.close());

const bin = (path: string) => join(root, 'node_modules', path);
let file: string | undefined;
/** The freshly rendered document, on disk for the CLIs. */
function renderedFile(): string {
  if (!file) {
    file = join(mkdtempSync(join(tmpdir(), 'openapi-')), 'openapi.json');
    writeFileSync(file, rendered);
  }
  return file;
}

/** `METHOD /path/{param}` of every handler Nest routes, read from the controllers' own metadata. */
function nestRoutes(): string[] {
  const routes: string[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const base = [Reflect.getMetadata(PATH_METADATA, metatype as object)].flat()[0] as string;
      const proto = (metatype as { prototype: object }).prototype;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = (proto as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const sub = [Reflect.getMetadata(PATH_METADATA, handler)].flat()[0] as string;
        const path = `/${[base, sub].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/').replace(/:(\w+)/g, '{$1}');
        routes.push(`${RequestMethod[method]} ${path}`);
      }
    }
  }
  return routes;
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', () => {
    expect(document.openapi).toBe('3.1.0');
    const run = spawnSync(process.execPath, [bin('@seriousme/openapi-schema-validator/bin/validate-api-cli.js'), renderedFile()], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toMatch(/"valid": true/);
  });

  it('describes every route the API serves, and nothing else', () => {
    // Mounted on Express rather than by a controller: tus (src/tus/tus-endpoint.ts) and the document itself.
    const mounted = [
      `OPTIONS ${TUS_PATH}`,
      `POST ${TUS_PATH}`,
      `HEAD ${TUS_PATH}/{id}`,
      `PATCH ${TUS_PATH}/{id}`,
      `DELETE ${TUS_PATH}/{id}`,
      'GET /openapi.json',
    ];
    const served = [...nestRoutes(), ...mounted].sort();
    const described = Object.entries(document.paths)
      .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(nestRoutes().length).toBeGreaterThan(30);
    expect(described).toEqual(served);
  });

  it('gives every operation a success response, and every error the shared ErrorBody', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>)) {
        const statuses = Object.keys(operation.responses);
        expect([`${method} ${path}`, statuses.some((s) => /^2/.test(s))]).toEqual([`${method} ${path}`, true]);
        // /health answers 503 with its own body (which checks are down), not a bare error.
        for (const status of statuses.filter((s) => /^[45]|default/.test(s) && !(path === '/health' && s === '503'))) {
          expect(operation.responses[status]!.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
        }
      }
    }
  });

  it('holds only valid JSON Schema 2020-12: every component compiles, and its examples match it', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema(document as object, 'doc');
    const schemas = (document as unknown as { components: { schemas: Record<string, { examples?: unknown[] }> } }).components.schemas;
    for (const [name, schema] of Object.entries(schemas)) {
      const validate = ajv.compile({ $ref: `doc#/components/schemas/${name}` });
      for (const example of schema.examples ?? []) expect([name, validate(example), validate.errors]).toEqual([name, true, null]);
    }
    expect(schemas.Upload!.examples).toHaveLength(2);
  });

  it('has a webhook for every event type, with its example', () => {
    expect(Object.keys(document.webhooks).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
  });

  it('is committed as generated, with the client types (run `npm run openapi` after changing the API)', () => {
    expect(readFileSync(join(root, API_FILES.document), 'utf8')).toEqual(rendered);
    const types = join(dirname(renderedFile()), 'schema.ts');
    const run = spawnSync(process.execPath, [bin('openapi-typescript/bin/cli.js'), renderedFile(), '-o', types], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(readFileSync(join(root, API_FILES.types), 'utf8')).toEqual(readFileSync(types, 'utf8'));
  });
});

describe('ResponseContract (what ApiClient checks every e2e response with)', () => {
  const contract = new ResponseContract(join(root, API_FILES.document));
  const upload = WEBHOOK_EVENT_EXAMPLES['upload.ready'].data;

  it('accepts a documented answer: the example upload, a catalogue error on an unknown route', () => {
    expect(() => contract.check('GET', `/v1/uploads/${upload.id}`, 200, upload)).not.toThrow();
    expect(() => contract.check('GET', '/v1/nope', 404, { error: { code: 'NOT_FOUND', message: 'Route not found' } })).not.toThrow();
    for (const type of WEBHOOK_EVENT_TYPES) {
      expect(() => contract.check('GET', `/v1/uploads/${upload.id}`, 200, WEBHOOK_EVENT_EXAMPLES[type].data)).not.toThrow();
    }
  });

  it('throws on a body that drifts from its schema, an undocumented status or an unknown code', () => {
    const { sha256: _dropped, ...withoutSha } = upload;
    expect(() => contract.check('GET', `/v1/uploads/${upload.id}`, 200, withoutSha)).toThrow(/must have required property 'sha256'/);
    expect(() => contract.check('GET', `/v1/uploads/${upload.id}`, 200, { ...upload, extra: 1 })).toThrow(/additional properties/);
    // An undocumented status falls to `default`, which is an error body.
    expect(() => contract.check('POST', '/v1/uploads', 200, {})).toThrow(/does not match/);
    expect(() => contract.check('GET', `/v1/uploads/${upload.id}`, 404, { error: { code: 'NOPE', message: 'x' } })).toThrow(/allowed values/);
    expect(() => contract.check('GET', '/v1/nope', 200, {})).toThrow(/not in the API description/);
  });
});
