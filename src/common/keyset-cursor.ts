import { errors } from './errors';

/**
 * Where a newest-first listing page ended: the last row's creation time as Postgres prints it, to
 * the microsecond (a JavaScript Date would round it to milliseconds and the next page would skip or
 * repeat rows created within one), and its id.
 */
export interface KeysetPosition {
  at: string;
  id: string;
}

/** SQL that prints a timestamptz column as a KeysetPosition's `at`. */
export const positionAt = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients: base64url of the last row's position. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): KeysetPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && ISO_MICROS.test(at) && typeof id === 'string' && UUID.test(id)) return { at, id };
  } catch {
    // fall through: any malformed cursor gets the same answer
  }
  throw errors.validation('cursor is not one this API handed out');
}
