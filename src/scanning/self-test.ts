import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { ClamdScanner } from './clamd-scanner';
import { ClamdReply, INSTREAM_COMMAND, MAX_CHUNK_BYTES, chunkHeader } from './instream';

/** clamd is reachable but not fit to vouch for uploads: the worker must not start. */
export class ClamdSelfTestError extends Error {
  override name = 'ClamdSelfTestError';
}

export interface SelfTestReport {
  /** clamd's VERSION line: engine, database version and date. */
  version: string;
  /** What clamd called the EICAR string it found in the test body. */
  signatures: string[];
}

// The EICAR test string, assembled at run time so that this source file and its build output are
// not themselves flagged (and quarantined) by a scanner on a developer's machine.
const EICAR = Buffer.from(['X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR', '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join(''), 'latin1');

/**
 * 128 KiB of varied bytes. A hash signature (.hdb) only matches the 68-byte EICAR file itself, so
 * EICAR between two of these is found only with a body signature (.ndb), as real databases have.
 */
function filler(seed: number): Buffer {
  const bytes = Buffer.alloc(128 * 1024);
  let x = seed;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0; // LCG: deterministic, no external randomness needed
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** See ClamdScanner.selfTest. */
export async function runSelfTest(scanner: ClamdScanner, streamBytes: number): Promise<SelfTestReport> {
  const version = await scanner.version();

  const infected = await scanner.scan(Readable.from([filler(1), EICAR, filler(2)]));
  const real = infected.clean ? [] : infected.signatures.filter((s) => !s.startsWith('Heuristics.'));
  if (real.length === 0) {
    throw new ClamdSelfTestError(
      `clamd (${version}) did not find the EICAR test string inside a larger file (answer: ${infected.clean ? 'OK' : infected.signatures.join(', ')}): ` +
        'its database lacks body signatures, so it would pass malware that is not a whole file',
    );
  }

  const clean = await scanner.scan(Readable.from([filler(3)]));
  if (!clean.clean) {
    throw new ClamdSelfTestError(`clamd (${version}) flagged a harmless 128 KiB file as ${clean.signatures.join(', ')}: check its limits`);
  }

  // clamd stops looking past MaxRecursion nested archives; only AlertExceedsMax (with
  // HeuristicAlerts) makes that a finding instead of an OK for a file it did not fully see.
  const deep = await scanner.scan(Readable.from([nestedZip(NESTING)]));
  if (deep.clean || !deep.signatures.some((s) => s.startsWith('Heuristics.Limits.Exceeded'))) {
    throw new ClamdSelfTestError(
      `clamd (${version}) answered ${deep.clean ? 'OK' : deep.signatures.join(', ')} for ${NESTING} nested archives: ` +
        'it passes files it did not fully scan (set AlertExceedsMax and HeuristicAlerts to yes, MaxRecursion well below that)',
    );
  }

  await checkStreamMaxLength(scanner, streamBytes, version);
  return { version, signatures: real };
}

/**
 * Far beyond any sane MaxRecursion: clamd 1.4 counts about three levels per stored zip (it also
 * recognises each inner zip as embedded), so 17 is exceeded from roughly 60 layers on.
 */
const NESTING = 256;

/** A file nested `depth` times in single-entry stored ZIP archives (about 100 bytes per layer). */
export function nestedZip(depth: number): Buffer {
  let data: Buffer = Buffer.from('intake clamd self-test', 'latin1');
  for (let level = 0; level < depth; level++) data = storedZip(`layer${level}`, data);
  return data;
}

function storedZip(name: string, data: Buffer): Buffer {
  const fileName = Buffer.from(name, 'latin1');
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); // local file header
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(0x21, 12); // DOS date 1980-01-01 (time 0)
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18); // compressed size (method 0: stored)
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); // central directory entry
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x21, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  // local header offset 0 (bytes 42-45) is already zero
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

/**
 * clamd checks each INSTREAM chunk header against what is left of StreamMaxLength before it reads
 * the chunk: a header announcing more than that is answered at once with "INSTREAM size limit
 * exceeded", while an acceptable one makes clamd wait for the data, and closing our side then
 * makes it hang up without a word. So one 4-byte header tells whether a stream of `bytes` would be
 * taken, without sending it. (MaxFileSize and MaxScanSize cannot be probed this way; exceeding
 * them yields a Heuristics.Limits.Exceeded finding, which is never clean.)
 */
async function checkStreamMaxLength(scanner: ClamdScanner, bytes: number, version: string): Promise<void> {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_CHUNK_BYTES) {
    throw new ClamdSelfTestError(`cannot check a stream length of ${bytes} bytes: INSTREAM announces at most ${MAX_CHUNK_BYTES} at once`);
  }
  const socket = await scanner.connect();
  try {
    const reply = new ClamdReply(socket);
    socket.on('timeout', () => socket.destroy(new ClamdSelfTestError('clamd did not answer the stream-length probe')));
    socket.end(Buffer.concat([INSTREAM_COMMAND, chunkHeader(bytes)]));
    const answer = (await reply.settled).replace(/\0/g, '').trim();
    if (answer === '') return;
    if (/size limit exceeded/i.test(answer)) {
      throw new ClamdSelfTestError(
        `clamd (${version}) refuses streams of ${bytes} bytes (SCAN_MAX_BYTES): raise StreamMaxLength in clamd.conf or lower SCAN_MAX_BYTES`,
      );
    }
    throw new ClamdSelfTestError(`clamd answered the stream-length probe with ${JSON.stringify(answer)}`);
  } finally {
    socket.destroy();
  }
}
