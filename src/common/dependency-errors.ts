import type { Dependency } from './errors';

/**
 * Decides, from an error's shape alone, whether it means "a dependency cannot be reached right
 * now" (answered 503 DEPENDENCY_UNAVAILABLE) rather than a bug (500 INTERNAL). One place for every
 * driver, so routes need no try/catch of their own. Never looks at anything the client sent.
 */

/** Socket-level failures: the peer is gone, refused, unreachable or too slow. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/**
 * PostgreSQL SQLSTATEs that mean the server cannot serve us, not that the query is wrong:
 * class 08 (connection exception), 53 (insufficient resources: too many connections, disk full),
 * 57P01-57P05 (admin/crash shutdown, cannot connect now, idle session timeout), 57014 (statement
 * timeout), 3D000 (the database does not exist), class 28 (the server refuses our credentials).
 */
function isUnavailableSqlState(code: string): boolean {
  return /^(08|53|28)/.test(code) || /^57P0[1-5]$/.test(code) || code === '57014' || code === '3D000';
}

/** pg's client-side failures carry no code, only these messages. */
const PG_CLIENT_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end)/;

/** gRPC status codes a Temporal client error carries when the server is unreachable or too slow. */
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

type Shape = Record<string, unknown>;

function asShape(err: unknown): Shape | null {
  return typeof err === 'object' && err !== null ? (err as Shape) : null;
}

function classifyOne(e: Shape): Dependency | null {
  const code = e.code;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';

  // AWS SDK v3 attaches $metadata to what it throws while sending. Without an HTTP status no answer
  // came back (refused, reset, timed out: the error itself may even be reduced to a wrapper).
  const metadata = asShape(e.$metadata);
  if (metadata) {
    const status = metadata.httpStatusCode;
    return typeof status !== 'number' || status >= 500 ? 'storage' : null;
  }

  // @grpc/grpc-js ServiceError: numeric code plus details; Temporal's ServiceError wraps it as cause.
  if (typeof code === 'number' && 'details' in e) {
    return code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED ? 'temporal' : null;
  }

  // pg's DatabaseError (typeorm copies its fields onto QueryFailedError too).
  if (typeof code === 'string' && typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return isUnavailableSqlState(code) ? 'database' : null;
  }
  if (PG_CLIENT_MESSAGES.test(message)) return 'database';
  // typeorm before (or after) the pool exists.
  if (name === 'TypeORMError' && /not connected/i.test(message)) return 'database';
  if (name === 'CannotExecuteNotConnectedError' || name === 'ConnectionIsNotSetError') return 'database';

  // A bare socket error (pg's connect failure looks like this) says nothing about whose socket.
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'unknown';
  return null;
}

/**
 * The dependency an error says is unavailable, or null when it is not an availability problem.
 * Follows `cause`, typeorm's `driverError` and AggregateError's `errors` a few levels deep.
 */
export function unavailableDependency(err: unknown): Dependency | null {
  const seen = new Set<unknown>();
  const queue: Array<[unknown, number]> = [[err, 0]];
  let fallback: Dependency | null = null;
  while (queue.length) {
    const [current, depth] = queue.shift()!;
    const e = asShape(current);
    if (!e || seen.has(e) || depth > 4) continue;
    seen.add(e);
    const found = classifyOne(e);
    if (found && found !== 'unknown') return found;
    fallback ??= found;
    for (const next of [e.cause, e.driverError, ...(Array.isArray(e.errors) ? e.errors : [])]) {
      if (next !== undefined) queue.push([next, depth + 1]);
    }
  }
  return fallback;
}
