import NodeClam from 'clamscan';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseInstreamReply } from './clamd-reply';
import { ClamdReply, INSTREAM_COMMAND, InstreamSink, ScanInconclusiveError } from './instream';
import { runSelfTest, type SelfTestReport } from './self-test';

export { ScanInconclusiveError } from './instream';
export { ClamdSelfTestError, type SelfTestReport } from './self-test';

/** `bytes` is what was actually sent to clamd, so the caller can check it against the object's size. */
export type ScanResult = { clean: true; bytes: number } | { clean: false; signatures: string[]; bytes: number };

export interface ScanOptions {
  /** Aborting destroys the source and the clamd connection and rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Bytes sent so far: while bytes flow (at most every FLOW_PROGRESS_MS), once when the stream
   * has ended, then every `progressIntervalMs` while clamd works on its verdict, so a caller's
   * heartbeat keeps going through a long scan. A stalled source produces no calls.
   */
  onProgress?: (bytesSent: number) => void;
  progressIntervalMs?: number;
}

export interface ClamdOptions {
  host: string;
  port: number;
  /** No traffic either way for this long (connecting, sending, or waiting for the verdict) fails the scan. */
  timeoutMs: number;
}

/** clamd cannot be reached: nothing was scanned (retry). */
export class ClamdUnavailableError extends Error {
  override name = 'ClamdUnavailableError';
}

const DEFAULT_PROGRESS_INTERVAL_MS = 2_000;
const FLOW_PROGRESS_MS = 200;

/**
 * Streams bytes to clamd over INSTREAM. Only clamd's explicit OK is clean; any FOUND (limit
 * heuristics included) is a finding; anything else throws ScanInconclusiveError and an unreachable
 * daemon throws ClamdUnavailableError, so the caller retries and never passes a file unscanned.
 * clamscan is used for the daemon's housekeeping commands (PING, VERSION), which it does correctly;
 * the stream itself goes through ./instream (see there for why).
 */
export class ClamdScanner {
  constructor(private readonly options: ClamdOptions) {}

  async scan(input: Readable, opts: ScanOptions = {}): Promise<ScanResult> {
    const { signal, onProgress, progressIntervalMs = DEFAULT_PROGRESS_INTERVAL_MS } = opts;
    let socket: Socket;
    try {
      signal?.throwIfAborted();
      socket = await this.connect(signal);
    } catch (err) {
      input.destroy();
      throw err;
    }
    const { timeoutMs } = this.options;
    socket.on('timeout', () => socket.destroy(new ScanInconclusiveError(`clamd sent and took nothing for ${timeoutMs} ms`)));
    const reply = new ClamdReply(socket);
    let lastProgress = performance.now();
    const report = (bytes: number) => onProgress?.(bytes);
    const sink = new InstreamSink(socket, reply, (bytes) => {
      if (performance.now() - lastProgress < Math.min(FLOW_PROGRESS_MS, progressIntervalMs)) return;
      lastProgress = performance.now();
      report(bytes);
    });
    let heartbeat: NodeJS.Timeout | undefined;
    try {
      socket.write(INSTREAM_COMMAND);
      await pipeline(input, sink, { signal });
      report(sink.bytes);
      const answer = await new Promise<string>((resolve, reject) => {
        heartbeat = setInterval(() => {
          try {
            report(sink.bytes);
          } catch (err) {
            reject(err as Error);
          }
        }, progressIntervalMs);
        const onAbort = () => reject(signal!.reason);
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        reply.settled.then(resolve, reject).finally(() => signal?.removeEventListener('abort', onAbort));
      });
      const verdict = parseInstreamReply(answer);
      if (verdict.kind === 'clean') return { clean: true, bytes: sink.bytes };
      if (verdict.kind === 'infected') return { clean: false, signatures: verdict.signatures, bytes: sink.bytes };
      throw new ScanInconclusiveError(`clamd gave no verdict: ${JSON.stringify(verdict.answer)}`);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (err instanceof ScanInconclusiveError) throw err;
      // A failure of the connection itself (reset, refused write) is clamd's, not the source's.
      if (!input.errored && isSocketError(err)) {
        throw new ScanInconclusiveError(`clamd connection failed: ${(err as Error).message}`, { cause: err });
      }
      throw err; // the source's own error, as the caller's storage client raised it
    } finally {
      clearInterval(heartbeat);
      socket.destroy();
      input.destroy();
    }
  }

  /** True when clamd answers PING. */
  async ping(): Promise<boolean> {
    try {
      const socket = await (await this.client()).ping();
      socket.end();
      return true;
    } catch {
      return false;
    }
  }

  /** clamd's VERSION line, e.g. "ClamAV 1.4.6/27831/Mon Nov 30 08:00:00 2026". */
  async version(): Promise<string> {
    const clam = await this.client();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClamdUnavailableError(`clamd gave no VERSION within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    });
    try {
      const answer = await Promise.race([clam.getVersion(), timeout]);
      return String(answer).replace(/\0/g, '').trim();
    } catch (err) {
      if (err instanceof ClamdUnavailableError) throw err;
      throw new ClamdUnavailableError(`clamd at ${this.address} is unreachable: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * For the worker to call at start (it must not poll tasks otherwise): throws unless clamd is
   * reachable (ClamdUnavailableError), and otherwise ClamdSelfTestError unless it finds the EICAR
   * test string inside a larger file (signatures loaded, body signatures present), passes a clean
   * file, reports archives nested past MaxRecursion as a finding (AlertExceedsMax), and accepts a
   * stream of `streamBytes` (pass SCAN_MAX_BYTES) — checked without sending that much. Takes well
   * under a second against a local clamd.
   */
  selfTest(opts: { streamBytes: number }): Promise<SelfTestReport> {
    return runSelfTest(this, opts.streamBytes);
  }

  /** A connected socket with the idle timeout set, or ClamdUnavailableError. */
  connect(signal?: AbortSignal): Promise<Socket> {
    const { host, port, timeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setTimeout(timeoutMs);
      const settle = (err?: Error) => {
        socket.off('connect', onConnect).off('error', onError).off('timeout', onTimeout);
        signal?.removeEventListener('abort', onAbort);
        if (!err) return resolve(socket);
        socket.destroy();
        reject(err);
      };
      const onConnect = () => settle();
      const onError = (err: Error) => settle(new ClamdUnavailableError(`clamd at ${this.address} is unreachable: ${err.message}`, { cause: err }));
      const onTimeout = () => settle(new ClamdUnavailableError(`clamd at ${this.address} did not accept a connection within ${timeoutMs} ms`));
      const onAbort = () => settle(signal!.reason as Error);
      socket.once('connect', onConnect).once('error', onError).once('timeout', onTimeout);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  private client(): Promise<NodeClam> {
    // One NodeClam per call: cheap (init does no daemon round trip with bypassTest).
    return new NodeClam().init({
      removeInfected: false,
      quarantineInfected: false,
      debugMode: false,
      clamdscan: {
        host: this.options.host,
        port: this.options.port,
        timeout: this.options.timeoutMs,
        localFallback: false,
        bypassTest: true,
        active: true,
      },
      preference: 'clamdscan',
    });
  }
}

function isSocketError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^(ECONNRESET|EPIPE|ECONNABORTED|ERR_STREAM_DESTROYED|ERR_STREAM_PREMATURE_CLOSE|ETIMEDOUT)$/.test(code);
}
