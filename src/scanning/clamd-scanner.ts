import NodeClam from 'clamscan';
import type { Socket } from 'node:net';
import { Readable, Transform } from 'node:stream';

export type ScanVerdict = { clean: true } | { clean: false; signatures: string[] };

export interface ClamdOptions {
  host: string;
  port: number;
  timeoutMs: number;
}

/** clamd answered something that is neither OK nor FOUND: the file is not vouched for. */
export class ScanInconclusiveError extends Error {}

/** How much may wait in the clamd socket's write buffer before we stop reading the source. */
const SOCKET_HIGH_WATER = 1 << 20;

/**
 * clamscan's NodeClam, remembering the socket it opens so the caller can apply backpressure.
 * (scanStream writes every chunk straight to the socket; passthrough() honours backpressure but can
 * send the end-of-stream marker before buffered bytes, leaving a file's tail unscanned.)
 */
class ObservedNodeClam extends NodeClam {
  socket?: Socket;

  override async _initSocket(label?: string): Promise<Socket> {
    this.socket = await super._initSocket(label);
    return this.socket;
  }
}

/**
 * Streams bytes to clamd (INSTREAM) with clamscan. Only clamd's explicit "OK" is clean; an
 * unreachable daemon, a timeout or any other answer throws, so the caller retries — never passes.
 */
export class ClamdScanner {
  constructor(private readonly options: ClamdOptions) {}

  private client(): Promise<ObservedNodeClam> {
    // One NodeClam per scan: cheap (no daemon round trip) and the socket it observes is this scan's.
    return new ObservedNodeClam().init({
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
    }) as Promise<ObservedNodeClam>;
  }

  async scan(input: Readable): Promise<ScanVerdict> {
    const clam = await this.client();
    const gate = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        const socket = clam.socket;
        if (socket && !socket.destroyed && socket.writableLength > SOCKET_HIGH_WATER) {
          const release = () => {
            socket.off('drain', release).off('close', release);
            callback(null, chunk);
          };
          socket.on('drain', release).on('close', release);
        } else {
          callback(null, chunk);
        }
      },
    });
    input.on('error', (err) => gate.destroy(err));
    input.pipe(gate);
    try {
      const result = await clam.scanStream(gate);
      if (result.isInfected === true) return { clean: false, signatures: result.viruses ?? [] };
      const answer = String(result.resultString ?? '').replace(/\0/g, '').trim();
      if (result.isInfected === false && /:\s+OK$/.test(answer)) return { clean: true };
      throw new ScanInconclusiveError(`clamd gave no verdict: ${JSON.stringify(answer)}`);
    } finally {
      input.destroy();
      gate.destroy();
      clam.socket?.destroy();
    }
  }

  async ping(): Promise<boolean> {
    try {
      const socket = await (await this.client()).ping();
      socket.end();
      return true;
    } catch {
      return false;
    }
  }
}
