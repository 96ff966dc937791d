import { once } from 'node:events';
import { connect } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * The baseline: the least a client can do to get a verdict for a stream. INSTREAM framing, wait
 * for the socket to drain when it says so, end marker, read the answer. No progress reports, no
 * byte counting, no timeouts, no teardown of the source on failure: everything ClamdScanner adds.
 */
export async function rawInstream(host: string, port: number, body: Readable): Promise<string> {
  const socket = connect({ host, port });
  try {
    await once(socket, 'connect');
    const answer: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => answer.push(chunk));
    const ended = once(socket, 'end');
    socket.write('zINSTREAM\0');
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const header = Buffer.allocUnsafe(4);
      header.writeUInt32BE(chunk.length);
      socket.write(header);
      if (!socket.write(chunk)) await once(socket, 'drain');
    }
    socket.write(Buffer.alloc(4));
    await ended;
    return Buffer.concat(answer).toString('latin1').replace(/\0/g, '').trim();
  } finally {
    socket.destroy();
  }
}
