import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { parse } from 'yaml';
import { DEFAULT_ALLOWED_TYPES } from '../../src/uploads/upload-policy';
import { PIPELINE_VERSION } from '../../workflows/contract';
import { SEARCH_ATTRIBUTES, formatSize, operatorText, uploadStartOptions } from '../../workflows/visibility';

/** The temporal CLI's spelling of each SDK search attribute type. */
const CLI_TYPES: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

const root = join(__dirname, '..', '..');

/** INTAKE_SEARCH_ATTRIBUTES as bash itself reads it from scripts/lib/stack.sh. */
function registeredByStack(): string[] {
  const stack = join(root, 'scripts', 'lib', 'stack.sh');
  const out = execFileSync('bash', ['-c', 'source "$1" && printf "%s\\n" "${INTAKE_SEARCH_ATTRIBUTES[@]}"', 'bash', stack], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

/** What the compose stack's one-shot service creates: each `create` gives its names one type. */
function registeredByCompose(): string[] {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
  const script: string = compose.services['temporal-search-attributes'].command.join(' ');
  return script.split('&&').flatMap((create) => {
    const type = /--type (\w+)/.exec(create)![1];
    return [...create.matchAll(/--name (\w+)/g)].map(([, name]) => `${name}=${type}`);
  });
}

describe('search attributes', () => {
  const defined = Object.values(SEARCH_ATTRIBUTES).map((key) => `${key.name}=${CLI_TYPES[key.type]}`);

  it('are registered by the local and test stacks exactly as the code defines them', () => {
    expect(registeredByStack().sort()).toEqual(defined.sort());
  });

  it('are registered by the compose stack before the API starts uploads', () => {
    expect(registeredByCompose().sort()).toEqual(defined.sort());
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
    expect(compose.services.api.depends_on['temporal-search-attributes']).toEqual({ condition: 'service_completed_successfully' });
  });

  it('are set at start with the upload, its tenant, the first stage and the pipeline version', () => {
    const input = { uploadId: 'u-1', tenantId: 't-1', expiresAt: '2030-01-01T00:00:00.000Z' };
    const { typedSearchAttributes } = uploadStartOptions(input, { filename: 'a.png', contentType: 'image/png', size: 10 });
    expect(Object.fromEntries(typedSearchAttributes.map(({ key, value }) => [key.name, value]))).toEqual({
      TenantId: 't-1',
      UploadId: 'u-1',
      UploadStatus: 'awaiting_upload',
      Stage: 'awaiting_upload',
      PipelineVersion: PIPELINE_VERSION,
    });
  });
});

describe('what operators are shown of client text', () => {
  it('drops control and bidi characters, so a name cannot hide or reorder what is shown', () => {
    expect(operatorText('evil\u202Egpj.exe\r\nINFO: all good\u0007')).toBe('evil gpj.exe INFO: all good');
  });

  it('keeps long names short, without cutting a character in two', () => {
    const shown = operatorText(`${'é'.repeat(50)}${'🎬'.repeat(50)}.mp4`);
    expect(Array.from(shown)).toHaveLength(80);
    expect(shown.endsWith('🎬…')).toBe(true);
  });

  it('cannot become a link or HTML in the markdown the UI renders', () => {
    expect(operatorText('[login](https://phish.example)<img src=x>.png')).toBe('\\[login\\](https://phish.example)\\<img src=x\\>.png');
  });

  it("keeps the longest summary a client can cause within Temporal's 400-byte limit (over it, the upload could not start)", () => {
    const input = { uploadId: '66666666-7777-4888-8999-aaaaaaaaaaaa', tenantId: '11111111-2222-4333-8444-555555555555', expiresAt: '2030-01-01T00:00:00.000Z' };
    const longestType = [...DEFAULT_ALLOWED_TYPES].reduce((a, b) => (b.length > a.length ? b : a)).toUpperCase();
    // Each escaped backslash is 4 bytes of JSON, as is each emoji: the most bytes a shown character takes.
    for (const filename of ['\\'.repeat(255), '🎬'.repeat(63), '\\🎬'.repeat(42)]) {
      const { staticSummary } = uploadStartOptions(input, { filename, contentType: longestType, size: null });
      const payload = defaultPayloadConverter.toPayload(staticSummary)!;
      expect(temporal.api.common.v1.Payload.encode(payload).finish().length).toBeLessThanOrEqual(400);
    }
  });

  it('says so when nothing printable is left', () => {
    expect(operatorText('\u0000\u0001')).toBe('(no name)');
  });

  it('sizes read as operators expect', () => {
    expect([formatSize(null), formatSize(512), formatSize(1536), formatSize(5 * 1024 ** 3)]).toEqual([
      'size not declared',
      '512 bytes',
      '1.5 KiB',
      '5.0 GiB',
    ]);
  });
});
