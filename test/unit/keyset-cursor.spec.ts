import { AppError } from '../../src/common/errors';
import { decodeCursor, encodeCursor } from '../../src/common/keyset-cursor';

describe('upload list cursors', () => {
  const position = { at: '2026-11-30T16:40:58.034123Z', id: 'be425792-7fe7-4303-83ee-1ca7d1e113bb' };

  it('round-trip, keeping microseconds', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['a millisecond time', encodeCursor({ ...position, at: '2026-11-30T16:40:58.034Z' })],
    ['an id that is no UUID', encodeCursor({ ...position, id: "x' OR 1=1" })],
    ['an object', Buffer.from(JSON.stringify({ at: position.at, id: position.id })).toString('base64url')],
  ])('refuse %s with VALIDATION_FAILED', (_what, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(AppError);
    try {
      decodeCursor(cursor);
    } catch (err) {
      expect((err as AppError).code).toBe('VALIDATION_FAILED');
    }
  });
});
