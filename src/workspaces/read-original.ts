import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ScanInconclusiveError, type ClamdScanner, type ScanResult } from '../scanning/clamd-scanner';

export interface ReadOriginal {
  bytes: number;
  /** SHA-256 (hex) of exactly the bytes written to the file (and, when scanned, sent to clamd). */
  sha256: string;
  /** clamd's verdict, when a scanner was given: it covered exactly `bytes` bytes. */
  verdict?: ScanResult;
}

/**
 * One pass over an object's body: every chunk goes into the hash, the local file and (optionally)
 * clamd. The two destinations share the source's backpressure, so memory stays flat whichever is
 * slower. Any failure (S3, disk, clamd, abort) tears all of it down.
 */
export async function readOriginal(
  body: Readable,
  filePath: string,
  opts: {
    scanner?: ClamdScanner;
    signal?: AbortSignal;
    onBytes?: (bytes: number) => void;
    /** Called as clamd takes bytes and, after the last one, while it works on its verdict. */
    onScanProgress?: (bytesSent: number) => void;
  } = {},
): Promise<ReadOriginal> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      opts.onBytes?.(bytes);
      callback(null, chunk);
    },
  });
  const abort = new AbortController();
  const onAbort = () => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const toScanner = opts.scanner ? new PassThrough({ highWaterMark: 1 << 20 }) : undefined;
  // A second .pipe destination: the source pauses while either destination is full.
  if (toScanner) tap.pipe(toScanner);
  const download = pipeline(body, tap, createWriteStream(filePath), { signal: abort.signal });
  const scanning = toScanner
    ? opts.scanner!.scan(toScanner, { signal: abort.signal, onProgress: opts.onScanProgress })
    : undefined;
  try {
    const [, verdict] = await Promise.all([download, scanning]);
    // A verdict on fewer (or more) bytes than were read vouches for nothing.
    if (verdict && verdict.bytes !== bytes) {
      throw new ScanInconclusiveError(`clamd answered for ${verdict.bytes} of ${bytes} bytes`);
    }
    return { bytes, sha256: hash.digest('hex'), verdict };
  } catch (err) {
    abort.abort(err);
    toScanner?.destroy();
    body.destroy();
    await Promise.allSettled([download, scanning]);
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
