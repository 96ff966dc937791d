import { canonicalType, isAllowedType, judgeSniffedType, looksLikeText, mediaKind } from '../../src/uploads/upload-policy';

describe('upload policy', () => {
  it('canonicalises case, parameters and aliases', () => {
    expect(canonicalType('Image/JPG')).toBe('image/jpeg');
    expect(canonicalType('text/plain; charset=utf-8')).toBe('text/plain');
    expect(canonicalType('audio/x-wav')).toBe('audio/wav');
  });

  it('allows media, PDF and text by default and nothing else', () => {
    for (const t of ['image/png', 'video/mp4', 'audio/mpeg', 'application/pdf', 'text/plain']) {
      expect(isAllowedType(t)).toBe(true);
    }
    for (const t of ['application/x-msdownload', 'text/html', 'application/zip', 'image/svg+xml']) {
      expect(isAllowedType(t)).toBe(false);
    }
  });

  it('classifies kinds', () => {
    expect(mediaKind('image/webp')).toBe('image');
    expect(mediaKind('video/quicktime')).toBe('video');
    expect(mediaKind('audio/flac')).toBe('audio');
    expect(mediaKind('application/pdf')).toBe('document');
  });

  it('accepts bytes that match the declared type', () => {
    expect(judgeSniffedType('image/jpeg', 'image/jpeg', Buffer.alloc(0))).toEqual({
      ok: true,
      detectedType: 'image/jpeg',
      kind: 'image',
    });
    expect(judgeSniffedType('video/quicktime', 'video/mp4', Buffer.alloc(0))).toMatchObject({ ok: true, kind: 'video' });
  });

  it('rejects bytes that contradict the declared type', () => {
    expect(judgeSniffedType('image/png', 'image/jpeg', Buffer.alloc(0))).toMatchObject({
      ok: false,
      code: 'TYPE_MISMATCH',
    });
    expect(judgeSniffedType('image/png', undefined, Buffer.from('hello'))).toMatchObject({
      ok: false,
      code: 'TYPE_MISMATCH',
    });
  });

  it('rejects content of a type the policy does not allow, whatever was declared', () => {
    expect(judgeSniffedType('application/pdf', 'application/x-msdownload', Buffer.alloc(0))).toMatchObject({
      ok: false,
      code: 'UNSUPPORTED_TYPE',
    });
  });

  it('accepts text only when it looks like text', () => {
    expect(judgeSniffedType('text/plain', undefined, Buffer.from('héllo, wörld\n'))).toMatchObject({ ok: true });
    expect(judgeSniffedType('text/plain', undefined, Buffer.from([0x41, 0x00, 0x42]))).toMatchObject({
      ok: false,
      code: 'TYPE_MISMATCH',
    });
    expect(looksLikeText(Buffer.from([0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa]))).toBe(false);
  });
});
