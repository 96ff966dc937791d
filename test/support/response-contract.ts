import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Jest-free, like api-client.ts: the benchmarks run it too (from dist/, hence the search upwards).
const DOCUMENT_FILE = join('clients', 'ts', 'openapi.json');
const DOCUMENT_ID = 'https://intake.invalid/openapi.json';

function findDocument(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, DOCUMENT_FILE))) return join(dir, DOCUMENT_FILE);
    if (dirname(dir) === dir) throw new Error(`${DOCUMENT_FILE} not found above ${from}`);
  }
}

type Responses = Record<string, { content?: Record<string, { schema?: unknown }> }>;
interface Document {
  paths: Record<string, Record<string, { responses: Responses }>>;
}

const pointer = (...segments: string[]) => segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * Checks real responses against the committed API description (clients/ts/openapi.json, which a
 * unit spec keeps equal to what the code generates): the operation is found by method and path
 * template, the response by status (else `default`), and a JSON body must match its schema.
 */
export class ResponseContract {
  private readonly document: Document;
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ template: string; pattern: RegExp; params: number }>;

  constructor(file = findDocument(__dirname)) {
    this.document = JSON.parse(readFileSync(file, 'utf8')) as Document;
    addFormats(this.ajv);
    this.ajv.addSchema(this.document as object, DOCUMENT_ID);
    // Literal segments win over parameters: /v1/uploads/{id}/parts before /v1/uploads/{id}/{x}.
    this.templates = Object.keys(this.document.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
        params: (template.match(/\{/g) ?? []).length,
      }))
      .sort((a, b) => a.params - b.params);
  }

  /** Throws, naming the operation and every schema error, when the response is not as documented. */
  check(method: string, url: string, status: number, body: unknown): void {
    const path = new URL(url, 'http://x').pathname;
    const template = this.templates.find((t) => t.pattern.test(path))?.template;
    const m = method.toLowerCase();
    const operation = template ? this.document.paths[template]![m] : undefined;
    const where = `${method} ${template ?? path} -> ${status}`;
    if (!operation) {
      // Specs probe routes that do not exist: those must answer a catalogue error.
      if (status < 400) throw new Error(`API contract: ${method} ${path} answered ${status} but is not in the API description`);
      return this.match(`${DOCUMENT_ID}#/components/schemas/ErrorBody`, where, body);
    }
    const key = operation.responses[String(status)] ? String(status) : operation.responses.default ? 'default' : undefined;
    if (!key) throw new Error(`API contract: ${where} is not a documented response`);
    const content = operation.responses[key]!.content;
    if (!content) {
      if (body !== null && body !== undefined) throw new Error(`API contract: ${where} is documented without a body, got ${JSON.stringify(body)}`);
      return;
    }
    if (!content['application/json']) return; // playlists, WebVTT, event streams
    this.match(`${DOCUMENT_ID}#/${pointer('paths', template!, m, 'responses', key, 'content', 'application/json', 'schema')}`, where, body);
  }

  private match(ref: string, where: string, body: unknown): void {
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    if (!validate(body)) {
      const problems = this.ajv.errorsText(validate.errors, { separator: '\n  ' });
      throw new Error(`API contract: ${where} does not match its schema:\n  ${problems}\nbody: ${JSON.stringify(body).slice(0, 2000)}`);
    }
  }
}
