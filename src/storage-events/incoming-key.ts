const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** objectKeys.incoming: `incoming/<tenant id>/<upload id>`, nothing else (tus `.info` files, other prefixes). */
const INCOMING_KEY = new RegExp(`^incoming/(${UUID})/(${UUID})$`);

/** The upload an object key in a notification names, if it is an incoming key at all. */
export function parseIncomingKey(key: string): { tenantId: string; uploadId: string } | null {
  const match = INCOMING_KEY.exec(key);
  return match ? { tenantId: match[1]!, uploadId: match[2]! } : null;
}

/** Records looked at per notification. */
export const MAX_RECORDS = 10;

/**
 * The object keys of an S3 event notification (`Records[].s3.object.key`, URL-encoded as S3
 * events are). Anything that is not that shape is skipped: the body only says where to look.
 */
export function keysOfNotification(body: unknown): string[] {
  const records = (body as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) return [];
  const keys: string[] = [];
  // MinIO sends one record per request; a body stuffed with records gets no more lookups than this.
  for (const record of records.slice(0, MAX_RECORDS)) {
    const raw = (record as { s3?: { object?: { key?: unknown } } } | null)?.s3?.object?.key;
    if (typeof raw !== 'string' || raw.length > 1024) continue;
    try {
      keys.push(decodeURIComponent(raw.replace(/\+/g, '%20')));
    } catch {
      // A malformed escape cannot be one of our keys.
    }
  }
  return keys;
}
