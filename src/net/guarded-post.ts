import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { PinnedTarget, RefusedUrlError, UnresolvableHostError, UrlGuard } from './url-guard';

export interface GuardedPostOptions {
  headers: Record<string, string>;
  body: string;
  /** One deadline for DNS, connect, request and the capped response read. */
  timeoutMs: number;
  /** Bytes of the response body read at most; the rest is never read (the socket is closed). */
  maxResponseBytes?: number;
}

export interface GuardedResponse {
  status: number;
  /** The first `maxResponseBytes` of the body at most. */
  body: Buffer;
  truncated: boolean;
}

export type OutboundFailure = 'refused' | 'unresolvable' | 'timeout' | 'network';

/**
 * The request failed or was never made. `message` names only what the caller gave (no resolved
 * address, port or internal host), so it may travel to a tenant; `logFields` is for operators.
 */
export class OutboundRequestError extends Error {
  constructor(
    message: string,
    readonly reason: OutboundFailure,
    /** Retrying cannot help (the URL itself was refused). */
    readonly permanent: boolean,
    readonly logFields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'OutboundRequestError';
  }
}

export const DEFAULT_MAX_RESPONSE_BYTES = 4096;

/**
 * POSTs to a URL someone else chose (a tenant's webhook endpoint): checked and resolved once by the
 * guard, connected to exactly the address that was checked (the Host header and TLS server name
 * stay the URL's), never redirected (a 3xx is returned as is), response body capped.
 */
export async function guardedPost(guard: UrlGuard, url: string, options: GuardedPostOptions): Promise<GuardedResponse> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  let target: PinnedTarget;
  try {
    target = await untilAborted(guard.pin(url), deadline);
  } catch (err) {
    throw asOutboundError(err, deadline, options.timeoutMs);
  }
  try {
    return await postPinned(target, options, deadline);
  } catch (err) {
    throw asOutboundError(err, deadline, options.timeoutMs, { address: target.address, port: portOf(target.url) });
  }
}

/** The URL as it may appear in messages: no credentials, no query (it may carry a token). */
export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function postPinned(target: PinnedTarget, options: GuardedPostOptions, signal: AbortSignal): Promise<GuardedResponse> {
  const { url, address, family } = target;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  // net.connect asks this instead of DNS: the address the guard checked is the only answer.
  const pinnedLookup: LookupFunction = (_hostname, lookupOptions, callback) =>
    lookupOptions.all ? callback(null, [{ address, family }]) : callback(null, address, family);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: url.protocol,
        host,
        port: portOf(url),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        lookup: pinnedLookup,
        // SNI and certificate checks against the name the tenant gave, not the pinned address.
        ...(isIP(host) ? {} : { servername: host }),
        // A fresh connection each time: a pooled socket could have been opened for another answer.
        agent: false,
        signal,
      },
      (res) => readCapped(res, maxBytes).then(resolve, reject),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Reads up to `maxBytes`, then closes the connection so the rest is never received. */
function readCapped(res: IncomingMessage, maxBytes: number): Promise<GuardedResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (truncated: boolean) => {
      if (settled) return;
      settled = true;
      res.destroy();
      resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), truncated });
    };
    res.on('data', (chunk: Buffer) => {
      const room = maxBytes - size;
      chunks.push(chunk.subarray(0, room));
      size += Math.min(chunk.length, room);
      if (chunk.length >= room) finish(chunk.length > room || !res.complete);
    });
    res.on('end', () => finish(false));
    res.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    res.on('close', () => {
      if (!settled) {
        settled = true;
        reject(Object.assign(new Error('response ended early'), { code: 'ECONNRESET' }));
      }
    });
  });
}

function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const NETWORK_MESSAGES: Array<[RegExp, string]> = [
  [/^ECONNREFUSED$/, 'connection refused'],
  [/^(ECONNRESET|EPIPE|ECONNABORTED)$/, 'connection reset'],
  [/^(ENETUNREACH|EHOSTUNREACH|EHOSTDOWN|ENETDOWN)$/, 'host unreachable'],
  [/^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|EPROTO)/, 'TLS handshake failed'],
  [/^HPE_/, 'invalid HTTP response'],
];

function asOutboundError(
  err: unknown,
  deadline: AbortSignal,
  timeoutMs: number,
  where: Record<string, unknown> = {},
): OutboundRequestError {
  if (err instanceof OutboundRequestError) return err;
  if (err instanceof RefusedUrlError) return new OutboundRequestError(`refused: ${err.message}`, 'refused', err.permanent, err.logFields);
  if (err instanceof UnresolvableHostError) return new OutboundRequestError(err.message, 'unresolvable', false, err.logFields);
  if (deadline.aborted) return new OutboundRequestError(`timed out after ${timeoutMs} ms`, 'timeout', false, where);
  const code = String((err as NodeJS.ErrnoException)?.code ?? '');
  const message = NETWORK_MESSAGES.find(([pattern]) => pattern.test(code))?.[1] ?? 'network error';
  // The raw message may name the resolved address and port: logs only.
  return new OutboundRequestError(message, 'network', false, { ...where, code, cause: (err as Error)?.message });
}
