import type { Socket } from 'node:net';
import { Writable } from 'node:stream';

/**
 * clamd's INSTREAM protocol, written by hand rather than with clamscan's scanStream, because the
 * scan must be exact about three things clamscan does not do: it writes every chunk without waiting
 * for the socket (memory grows with the file), its passthrough() can send the end marker before
 * buffered bytes (an unscanned tail), and it neither counts bytes nor tears down both ends on
 * failure. Protocol: "zINSTREAM\0", then chunks of <uint32 big-endian length><bytes>, then a
 * zero-length chunk; clamd answers one NUL-terminated line and closes.
 */
export const INSTREAM_COMMAND = Buffer.from('zINSTREAM\0', 'latin1');
const END_OF_STREAM = Buffer.alloc(4);
/** The largest chunk (and so the largest stream length a single header can announce). */
export const MAX_CHUNK_BYTES = 0xffff_ffff;

/** clamd answered something that is neither OK nor FOUND: the file is not vouched for (retry). */
export class ScanInconclusiveError extends Error {
  override name = 'ScanInconclusiveError';
}

/** How much may wait in the socket's write buffer before the source is paused. */
const SOCKET_HIGH_WATER = 1 << 20;
/** How often a stream that never has to wait still lets the event loop run. */
const YIELD_EVERY = 1 << 20;
/** Answers are one short line; anything longer is not clamd and is not buffered further. */
const MAX_REPLY_CHARS = 64 * 1024;

export function chunkHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(length);
  return header;
}

/**
 * Everything clamd says on one connection. `settled` resolves with the text once clamd has closed
 * its side; it rejects only when the connection failed before clamd said anything.
 */
export class ClamdReply {
  private text = '';
  private ended = false;
  private failure?: Error;
  readonly settled: Promise<string>;

  constructor(socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (this.text.length < MAX_REPLY_CHARS) this.text += chunk;
    });
    socket.on('error', (err) => (this.failure ??= err));
    this.settled = new Promise((resolve, reject) => {
      const done = () => {
        if (this.text || !this.failure) resolve(this.text);
        else reject(this.failure);
      };
      socket.once('end', () => ((this.ended = true), done()));
      socket.once('close', done);
    });
    this.settled.catch(() => undefined); // observed by whoever awaits it; never unhandled
  }

  /** clamd has said something or hung up: while we are still sending, that ends the scan. */
  get received(): boolean {
    return this.text.length > 0 || this.ended;
  }

  /** Why the connection is gone, for a scan that was still sending. */
  interruption(): Error {
    if (this.text) return new ScanInconclusiveError(`clamd stopped the stream: ${JSON.stringify(this.text.replace(/\0/g, ' ').trim())}`);
    if (this.failure instanceof ScanInconclusiveError) return this.failure;
    const detail = this.failure ? `: ${this.failure.message}` : ' without an answer';
    return new ScanInconclusiveError(`clamd closed the connection mid-stream${detail}`, { cause: this.failure });
  }
}

/**
 * The writable end of a scan: frames each chunk for INSTREAM, counts what was handed to the socket,
 * and waits for the socket to drain past SOCKET_HIGH_WATER, so a slow clamd slows the source down
 * instead of filling memory. Ending it sends the end marker after every byte; destroying it (the
 * pipeline does on any failure) destroys the socket.
 */
export class InstreamSink extends Writable {
  bytes = 0;
  private bytesAtYield = 0;
  private connectionGone?: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly reply: ClamdReply,
    private readonly onBytes: (bytes: number) => void,
  ) {
    // Success leaves the socket open for the answer: only a failure (_destroy with an error) closes it.
    super({ autoDestroy: false });
    socket.once('close', () => {
      if (this.connectionGone) this.connectionGone();
      else if (!this.writableFinished) this.destroy(reply.interruption());
    });
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    // A zero-length chunk is clamd's end marker: sending one here would end the scan early and
    // leave the rest of the file unscanned.
    if (bytes.length === 0) return callback();
    if (this.socket.destroyed || this.socket.writableEnded || this.reply.received) return callback(this.reply.interruption());
    for (let offset = 0; offset < bytes.length; offset += MAX_CHUNK_BYTES) {
      const part = bytes.subarray(offset, offset + MAX_CHUNK_BYTES);
      this.socket.cork();
      this.socket.write(chunkHeader(part.length));
      this.socket.write(part);
      this.socket.uncork();
    }
    this.bytes += bytes.length;
    try {
      this.onBytes(this.bytes);
    } catch (err) {
      return callback(err as Error);
    }
    this.whenWritable(callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed || this.socket.writableEnded) return callback(this.reply.interruption());
    this.socket.write(END_OF_STREAM);
    this.whenWritable(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error) this.socket.destroy();
    callback(error);
  }

  private whenWritable(callback: (error?: Error | null) => void): void {
    if (this.socket.writableLength <= SOCKET_HIGH_WATER) {
      if (this.bytes - this.bytesAtYield < YIELD_EVERY) return callback();
      // A source that is always ready and a clamd that reads as fast would otherwise run this loop
      // without ever returning to the event loop: clamd's early answer (size limit exceeded) would
      // go unseen, and so would everything else the worker does meanwhile (Temporal heartbeats).
      this.bytesAtYield = this.bytes;
      setImmediate(() => callback(this.reply.received ? this.reply.interruption() : null));
      return;
    }
    const settle = (error?: Error) => {
      this.socket.off('drain', onDrain);
      this.connectionGone = undefined;
      callback(error);
    };
    const onDrain = () => settle();
    this.socket.on('drain', onDrain);
    this.connectionGone = () => settle(this.reply.interruption());
  }
}
