import { AppError } from '../../src/common/errors';
import { catalogueErrorFor, declaredLength, tusCreation } from '../../src/tus/tus-creation';
import { tusKeys } from '../../src/tus/tus-keys';

const code = (work: () => unknown) => {
  try {
    work();
  } catch (err) {
    return err instanceof AppError ? [err.status, err.code] : err;
  }
  return 'no error';
};

describe('tus creation requests', () => {
  it('takes filename and filetype as the upload, other valued keys as client metadata', () => {
    expect(tusCreation({ filename: 'cat.jpg', filetype: 'image/jpeg', album: 'x', relativePath: null })).toEqual({
      filename: 'cat.jpg',
      contentType: 'image/jpeg',
      metadata: { album: 'x' },
    });
    expect(tusCreation({ filename: 'cat.jpg', filetype: 'image/jpeg' })).toEqual({ filename: 'cat.jpg', contentType: 'image/jpeg' });
  });

  it('refuses what POST /v1/uploads refuses, without echoing it', () => {
    expect(code(() => tusCreation(undefined))).toEqual([400, 'INVALID_REQUEST']);
    expect(code(() => tusCreation({ filename: 'a.txt' }))).toEqual([400, 'INVALID_REQUEST']);
    expect(code(() => tusCreation({ filename: '\u202egpj.exe', filetype: 'image/jpeg' }))).toEqual([400, 'INVALID_REQUEST']);
    expect(code(() => tusCreation({ filename: 'a.txt', filetype: 'text/plain; charset=utf-8' }))).toEqual([400, 'INVALID_REQUEST']);
    expect(code(() => tusCreation({ filename: 'a.txt', filetype: 'text/plain', note: 'line\nbreak' }))).toEqual([400, 'INVALID_REQUEST']);
  });

  it('refuses an empty file and keeps deferred lengths undeclared', () => {
    expect(code(() => declaredLength('0'))).toEqual([400, 'VALIDATION_FAILED']);
    expect(declaredLength(null)).toBeNull();
    expect(declaredLength('42')).toBe(42);
  });

  it("turns the tus server's plain-text refusals into catalogue errors", () => {
    expect(catalogueErrorFor(409, 'Upload-Offset conflict\n').code).toBe('UPLOAD_STATE_CONFLICT');
    expect(catalogueErrorFor(404, 'x').code).toBe('UPLOAD_NOT_FOUND');
    expect(catalogueErrorFor(410, 'x').code).toBe('UPLOAD_EXPIRED');
    expect(catalogueErrorFor(413, 'Maximum size exceeded\n').code).toBe('FILE_TOO_LARGE');
    const invalid = catalogueErrorFor(400, 'Invalid upload-length\n');
    expect([invalid.status, invalid.code, invalid.message]).toEqual([400, 'INVALID_REQUEST', 'A tus header has an invalid value']);
    expect(catalogueErrorFor(500, 'boom at /srv/x').toBody()).toEqual({ error: { code: 'INTERNAL', message: 'Internal server error' } });
  });
});

describe('tus keys', () => {
  const ref = { tenantId: '11111111-1111-4111-8111-111111111111', uploadId: '22222222-2222-4222-8222-222222222222' };

  it('names a tus upload by its incoming key and keeps its state under tus/', () => {
    const id = tusKeys.storageId(ref);
    expect(id).toBe(`incoming/${ref.tenantId}/${ref.uploadId}`);
    expect(tusKeys.parse(id)).toEqual(ref);
    expect(tusKeys.state(id, 'info')).toBe(`tus/${ref.tenantId}/${ref.uploadId}.info`);
    expect(tusKeys.parseState(tusKeys.state(id, 'part'))).toEqual(ref);
  });

  it('parses nothing else', () => {
    expect(tusKeys.parse(`uploads/${ref.tenantId}/${ref.uploadId}/original`)).toBeNull();
    expect(tusKeys.parse(`incoming/${ref.tenantId}/${ref.uploadId}.info`)).toBeNull();
    expect(tusKeys.parseState(`tus/${ref.tenantId}/${ref.uploadId}.other`)).toBeNull();
    expect(() => tusKeys.state('elsewhere', 'info')).toThrow();
  });
});
