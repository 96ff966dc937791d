import { uploadWindowEnd } from '../../src/uploads/uploads.service';
import { ValidationPipe } from '@nestjs/common';
import { AppError, ErrorCode, safeEcho } from '../../src/common/errors';
import { validationError } from '../../src/common/validation';
import { CreateUploadDto, contentTypeProblem, filenameProblem } from '../../src/uploads/uploads.dto';

describe('filenameProblem', () => {
  it('accepts ordinary names, including non-ASCII text, up to 255 UTF-8 bytes', () => {
    for (const name of ['cat.jpg', 'Fotó 2024 – 東京 (1).jpeg', 'a', 'résumé final.pdf', '😀.png', 'é'.repeat(127) + 'x']) {
      expect([name, filenameProblem(name)]).toEqual([name, null]);
    }
  });

  it('refuses empty, blank and over-long names (counted in UTF-8 bytes, not characters)', () => {
    for (const name of ['', '   ', '\t', 'x'.repeat(256), 'é'.repeat(128), '😀'.repeat(64)]) {
      expect([name.length, filenameProblem(name)]).toEqual([name.length, expect.any(String)]);
    }
  });

  it('refuses C0, DEL and C1 controls, line separators, bidi controls and lone surrogates', () => {
    const bad = [
      '\u0000', '\u0001', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f',
      '\u2028', '\u2029', '\u200e', '\u200f', '\u061c', '\u202a', '\u202e', '\u2066', '\u2069', '\ud800', '\udc00',
    ];
    for (const ch of bad) {
      const code = ch.codePointAt(0)!.toString(16);
      expect([code, filenameProblem(`invoice${ch}gpj.exe`)]).toEqual([code, expect.any(String)]);
    }
  });

  it('never repeats the name in its message', () => {
    expect(filenameProblem('evil\u202e<script>')).not.toMatch(/evil|script/);
  });
});

describe('contentTypeProblem', () => {
  it('accepts bare type/subtype tokens, in any case', () => {
    for (const t of ['image/png', 'IMAGE/PNG', 'application/vnd.ms-excel', 'image/svg+xml', 'application/x-msdownload']) {
      expect([t, contentTypeProblem(t)]).toEqual([t, null]);
    }
  });

  it('refuses parameters, whitespace, CR/LF, missing parts and non-token characters', () => {
    const bad = [
      'image/png; charset=x', 'text/plain;charset=utf-8', 'image/png;', 'image/png\r\nX-Amz-Acl: public-read',
      'image/png\n', ' image/png', 'image/png ', 'image /png', 'image/', '/png', 'image', 'image/png/x', 'image/pn"g',
      'imáge/png', 'image/png\u0000', `${'a'.repeat(128)}/png`, 'image/(png)', '',
    ];
    for (const t of bad) expect([t, contentTypeProblem(t)]).toEqual([t, expect.any(String)]);
  });
});

describe('the upload request, through the ValidationPipe the API uses', () => {
  const pipe = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: validationError,
  });
  const check = (body: unknown) =>
    pipe.transform(body, { type: 'body', metatype: CreateUploadDto }).then(
      () => null,
      (err: unknown) => {
        expect(err).toBeInstanceOf(AppError);
        return (err as AppError).toBody().error;
      },
    );

  it('answers INVALID_REQUEST for unsafe content in well-typed fields', async () => {
    expect(await check({ filename: 'a\u0000.png', contentType: 'image/png', size: 1 })).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await check({ filename: '', contentType: 'image/png', size: 1 })).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await check({ filename: 'a.png', contentType: 'image/png; charset=x', size: 1 })).toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('keeps VALIDATION_FAILED for missing, mistyped and unknown fields, even next to unsafe content', async () => {
    expect(await check({ contentType: 'image/png', size: 1 })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await check({ filename: 5, contentType: 'image/png', size: 1 })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await check({ filename: 'a\n', contentType: 'image/png' })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await check({ filename: 'a.png', contentType: 'image/png', size: 1 })).toBeNull();
  });

  it('does not repeat unknown property names that are not plain identifiers', async () => {
    const err = await check({ filename: 'a.png', contentType: 'image/png', size: 1, '\u001b[31m<b>x': 1, extra: 2 });
    expect(err).toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    expect(err!.message).toContain('property extra should not exist');
    expect(err!.message).not.toMatch(/\u001b|<b>/);
  });
});

describe('safeEcho', () => {
  it('keeps printable ASCII except quotes and backslashes, and cuts it short', () => {
    expect(safeEcho('application/x-msdownload')).toBe('application/x-msdownload');
    expect(safeEcho('a"b\\c\r\nd e\u202ef')).toBe('abcdef');
    expect(safeEcho('x'.repeat(100))).toBe(`${'x'.repeat(64)}...`);
  });
});

describe('upload window', () => {
  const now = Date.parse('2026-11-30T12:00:00.400Z');
  it('ends ttl seconds from now, on a whole second', () => {
    expect(uploadWindowEnd(3600, undefined, now).toISOString()).toBe('2026-11-30T13:00:00.000Z');
  });
  it('never outlives the upload token that opened it', () => {
    const token = new Date('2026-11-30T12:10:00.900Z');
    expect(uploadWindowEnd(604_800, token, now).toISOString()).toBe('2026-11-30T12:10:00.000Z');
    expect(uploadWindowEnd(60, token, now).toISOString()).toBe('2026-11-30T12:01:00.000Z');
  });
});
