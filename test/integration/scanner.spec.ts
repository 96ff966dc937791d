import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { AddressInfo, Server, Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import {
  ClamdScanner,
  ClamdSelfTestError,
  ClamdUnavailableError,
  ScanInconclusiveError,
  type ScanResult,
} from '../../src/scanning/clamd-scanner';
import { EICAR, makeImage } from '../support/media';
import { eventually, testConfig } from '../support/stack';

/**
 * ClamdScanner against the test stack's clamd (the signatures and policy every stack ships),
 * against clamds started here with a deliberately wrong database or limits (what the worker's
 * self-test must refuse), and against a fake clamd that lets a test control the protocol's
 * timing (heartbeats while clamd works, teardown on every failure, backpressure).
 */

const MiB = 1024 * 1024;

/** `total` bytes in `chunk`-sized pieces, made on demand; `pulled` is how far the scanner has read. */
function lazySource(total: number, chunk = 64 * 1024, fill = 0x41): Readable & { pulled: number } {
  const piece = Buffer.alloc(chunk, fill);
  const source = new Readable({
    read() {
      const n = Math.min(chunk, total - source.pulled);
      if (n <= 0) return void this.push(null);
      source.pulled += n;
      this.push(n === chunk ? piece : piece.subarray(0, n));
    },
  }) as Readable & { pulled: number };
  source.pulled = 0;
  return source;
}

/** A source whose parts are sent exactly as given (object mode keeps an empty Buffer a chunk). */
const partsOf = (...parts: Buffer[]) => Readable.from(parts);

function splitInto(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe('ClamdScanner against the stack clamd', () => {
  const config = testConfig();
  const scanner = new ClamdScanner({ host: config.CLAMD_HOST, port: config.CLAMD_PORT, timeoutMs: 30_000 });
  let jpeg: Buffer;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intake-scanner-'));
    await makeImage(join(dir, 'a.jpg'), 320, 240, 'jpeg');
    jpeg = await readFile(join(dir, 'a.jpg'));
    await rm(dir, { recursive: true, force: true });
  });

  it('passes a clean JPEG on clamd\'s OK and counts every byte sent', async () => {
    await expect(scanner.scan(Readable.from([jpeg]))).resolves.toEqual({ clean: true, bytes: jpeg.length });
  });

  it('finds the EICAR file itself', async () => {
    const result = await scanner.scan(Readable.from([EICAR]));
    expect(result).toMatchObject({ clean: false, bytes: EICAR.length });
    expect((result as { signatures: string[] }).signatures.join()).toMatch(/Eicar-Test-Signature/);
  });

  // A hash signature matches only the exact 68-byte file; the stack must load a body signature.
  it('finds EICAR appended to a valid JPEG', async () => {
    const result = await scanner.scan(Readable.from([Buffer.concat([jpeg, EICAR])]));
    expect(result).toMatchObject({ clean: false, bytes: jpeg.length + EICAR.length });
    expect((result as { signatures: string[] }).signatures.join()).toMatch(/Eicar-Test-Signature/);
  });

  it('finds EICAR in the middle of a 24 MiB file sent in many chunks', async () => {
    const body = Buffer.concat([randomBytes(12 * MiB), EICAR, randomBytes(12 * MiB)]);
    const result = await scanner.scan(Readable.from(splitInto(body, 64 * 1024)));
    expect(result).toMatchObject({ clean: false, bytes: body.length });
  });

  // A zero-length INSTREAM chunk is the end marker: forwarding an empty read would end the scan
  // before the rest of the file and pass it unscanned.
  it('is not ended early by an empty chunk from the source', async () => {
    const result = await scanner.scan(partsOf(jpeg, Buffer.alloc(0), EICAR));
    expect(result).toMatchObject({ clean: false, bytes: jpeg.length + EICAR.length });
  });

  it('self-test passes: signatures loaded, body signature present, SCAN_MAX_BYTES accepted', async () => {
    const report = await scanner.selfTest({ streamBytes: config.SCAN_MAX_BYTES });
    expect(report.version).toMatch(/^ClamAV \d+\.\d+/);
    expect(report.signatures.join()).toMatch(/Eicar/);
  });

  it('fails with ClamdUnavailableError when nothing listens, and destroys the source', async () => {
    const offline = new ClamdScanner({ host: '127.0.0.1', port: 1, timeoutMs: 2_000 }); // nothing listens on port 1
    const source = Readable.from([EICAR]);
    const err = await offline.scan(source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClamdUnavailableError);
    expect(String(err)).toMatch(/ECONNREFUSED/);
    expect(source.destroyed).toBe(true);
    await expect(offline.selfTest({ streamBytes: 1 })).rejects.toBeInstanceOf(ClamdUnavailableError);
  });
});

/** A clamd of its own, from the shipped policy with `policy` directives replaced, on a free port. */
class OwnClamd {
  private constructor(
    readonly scanner: ClamdScanner,
    private readonly proc: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(opts: { bodySignature: boolean; policy?: Record<string, string> }): Promise<OwnClamd> {
    const root = resolve(__dirname, '..', '..');
    const dir = await mkdtemp(join(tmpdir(), 'intake-own-clamd-'));
    await mkdir(join(dir, 'db'));
    await writeFile(join(dir, 'db', 'test.hdb'), '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n');
    if (opts.bodySignature) {
      await writeFile(join(dir, 'db', 'eicar-body.ndb'), await readFile(join(root, 'docker/clamav/eicar-body.ndb')));
    }
    const shipped = await readFile(join(root, 'docker/clamav/clamd.conf'), 'utf8');
    let policy = shipped.slice(shipped.indexOf('# === Scanning policy ==='));
    for (const [directive, value] of Object.entries(opts.policy ?? {})) {
      expect(policy).toMatch(new RegExp(`^${directive} `, 'm'));
      policy = policy.replace(new RegExp(`^${directive} .*$`, 'm'), `${directive} ${value}`);
    }
    const port = await freePort();
    const conf = [`Foreground yes`, `DatabaseDirectory ${dir}/db`, `TemporaryDirectory ${dir}`, `TCPSocket ${port}`, `TCPAddr 127.0.0.1`, policy].join('\n');
    await writeFile(join(dir, 'clamd.conf'), conf);
    const proc = spawn('clamd', [`--config-file=${join(dir, 'clamd.conf')}`], { stdio: 'ignore' });
    const scanner = new ClamdScanner({ host: '127.0.0.1', port, timeoutMs: 10_000 });
    const own = new OwnClamd(scanner, proc, dir);
    try {
      await eventually(async () => ((await scanner.ping()) ? true : undefined), 30_000, `clamd on ${port}`);
    } catch (err) {
      await own.stop();
      throw err;
    }
    return own;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      await once(this.proc, 'exit');
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('ClamdScanner self-test against a misconfigured clamd', () => {
  it('refuses a clamd whose database has only hash signatures (EICAR inside a file passes it)', async () => {
    const clamd = await OwnClamd.start({ bodySignature: false });
    try {
      // The whole EICAR file is still found: the database is loaded, it just cannot see inside files.
      expect(await clamd.scanner.scan(Readable.from([EICAR]))).toMatchObject({ clean: false });
      const err = await clamd.scanner.selfTest({ streamBytes: 1024 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClamdSelfTestError);
      expect(String(err)).toMatch(/body signatures/);
    } finally {
      await clamd.stop();
    }
  });

  it('refuses a clamd that answers OK for files it did not fully scan (AlertExceedsMax off)', async () => {
    const clamd = await OwnClamd.start({ bodySignature: true, policy: { AlertExceedsMax: 'no' } });
    try {
      const err = await clamd.scanner.selfTest({ streamBytes: 1024 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClamdSelfTestError);
      expect(String(err)).toMatch(/AlertExceedsMax/);
    } finally {
      await clamd.stop();
    }
  });

  describe('with small limits (StreamMaxLength 1 MiB, MaxFileSize and MaxScanSize 384 KiB)', () => {
    let clamd: OwnClamd;
    beforeAll(async () => {
      clamd = await OwnClamd.start({ bodySignature: true, policy: { StreamMaxLength: '1M', MaxFileSize: '384K', MaxScanSize: '384K' } });
    });
    afterAll(() => clamd?.stop());

    it('self-test refuses a SCAN_MAX_BYTES above StreamMaxLength, without sending that much', async () => {
      const err = await clamd.scanner.selfTest({ streamBytes: 2 * 1024 * MiB - 3 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClamdSelfTestError);
      expect(String(err)).toMatch(/StreamMaxLength/);
    });

    it('self-test accepts a SCAN_MAX_BYTES of exactly StreamMaxLength', async () => {
      await expect(clamd.scanner.selfTest({ streamBytes: MiB })).resolves.toMatchObject({ version: expect.stringMatching(/ClamAV/) });
    });

    it('reports a file over MaxFileSize as a Heuristics.Limits.Exceeded finding, never as clean', async () => {
      const result = await clamd.scanner.scan(Readable.from(splitInto(randomBytes(512 * 1024), 64 * 1024)));
      expect(result.clean).toBe(false);
      expect((result as { signatures: string[] }).signatures.join()).toMatch(/^Heuristics\.Limits\.Exceeded/);
    });

    it('throws ScanInconclusiveError for a stream clamd refuses, and stops reading the source', async () => {
      const source = lazySource(64 * MiB);
      const err = await clamd.scanner.scan(source).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScanInconclusiveError);
      expect(String(err)).toMatch(/size limit exceeded|mid-stream|connection/i);
      expect(source.destroyed).toBe(true);
      expect(source.pulled).toBeLessThan(64 * MiB);
    });
  });
});

/** One INSTREAM connection to the fake clamd, parsed as it arrives. */
class FakeConnection {
  payload = 0;
  readonly streamEnded: Promise<void>;
  readonly closed: Promise<void>;
  private endStream!: () => void;
  private pending = Buffer.alloc(0);
  private state: 'command' | 'header' | 'data' = 'command';
  private remaining = 0;

  constructor(readonly socket: Socket) {
    this.streamEnded = new Promise((r) => (this.endStream = r));
    this.closed = once(socket, 'close').then(() => undefined);
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => this.parse(data));
  }

  private parse(data: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    for (;;) {
      if (this.state === 'command') {
        if (buf.length < 10) break;
        expect(buf.subarray(0, 10).toString('latin1')).toBe('zINSTREAM\0');
        buf = buf.subarray(10);
        this.state = 'header';
      } else if (this.state === 'header') {
        if (buf.length < 4) break;
        this.remaining = buf.readUInt32BE(0);
        buf = buf.subarray(4);
        if (this.remaining === 0) {
          this.endStream();
          this.state = 'command';
          break;
        }
        this.state = 'data';
      } else {
        const n = Math.min(this.remaining, buf.length);
        if (n === 0) break;
        this.payload += n;
        this.remaining -= n;
        buf = buf.subarray(n);
        if (this.remaining === 0) this.state = 'header';
      }
    }
    this.pending = Buffer.from(buf);
  }
}

class FakeClamd {
  readonly connections: FakeConnection[] = [];
  private waiting: Array<(c: FakeConnection) => void> = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeClamd> {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const fake = new FakeClamd(server);
    server.on('connection', (socket) => {
      const conn = new FakeConnection(socket);
      fake.connections.push(conn);
      fake.waiting.shift()?.(conn);
    });
    return fake;
  }

  scanner(opts: { timeoutMs?: number } = {}): ClamdScanner {
    const { port } = this.server.address() as AddressInfo;
    return new ClamdScanner({ host: '127.0.0.1', port, timeoutMs: opts.timeoutMs ?? 30_000 });
  }

  nextConnection(): Promise<FakeConnection> {
    return new Promise((r) => this.waiting.push(r));
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }
}

describe('ClamdScanner protocol handling (fake clamd)', () => {
  let fake: FakeClamd;
  beforeEach(async () => {
    fake = await FakeClamd.start();
  });
  afterEach(() => fake.stop());

  it('keeps reporting progress while clamd works on its verdict, until the verdict comes', async () => {
    const size = 3 * MiB + 7;
    const afterEnd: number[] = [];
    let streamEnded = false;
    let sawThree!: () => void;
    const threeBeats = new Promise<void>((r) => (sawThree = r));
    const connection = fake.nextConnection();
    const scanning = fake.scanner().scan(lazySource(size), {
      progressIntervalMs: 20,
      onProgress: (bytes) => {
        if (!streamEnded) return;
        afterEnd.push(bytes);
        if (afterEnd.length === 3) sawThree();
      },
    });
    const conn = await connection;
    await conn.streamEnded;
    streamEnded = true;
    await threeBeats; // clamd "scans" until the caller has heartbeated three times
    conn.socket.end('stream: OK\0');
    await expect(scanning).resolves.toEqual({ clean: true, bytes: size });
    expect(afterEnd.slice(0, 3)).toEqual([size, size, size]);
    expect(conn.payload).toBe(size);
  });

  it('destroys the clamd connection and rejects with the source\'s error when the source fails', async () => {
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent >= 2 * MiB) return void this.destroy(new Error('S3 read failed'));
        sent += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    const connection = fake.nextConnection();
    const scanning = fake.scanner().scan(source);
    const conn = await connection;
    await expect(scanning).rejects.toThrow('S3 read failed');
    await conn.closed; // the fake's side of the socket sees it closed: nothing leaks
    expect(conn.payload).toBeLessThanOrEqual(2 * MiB);
  });

  it('throws ScanInconclusiveError and destroys the source when clamd hangs up mid-stream', async () => {
    const source = lazySource(512 * MiB);
    const connection = fake.nextConnection();
    const scanning = fake.scanner().scan(source);
    const conn = await connection;
    await eventually(() => (conn.payload > MiB ? true : undefined), 30_000, 'a first MiB at the fake clamd', 5);
    conn.socket.destroy();
    await expect(scanning).rejects.toBeInstanceOf(ScanInconclusiveError);
    expect(source.destroyed).toBe(true);
    expect(source.pulled).toBeLessThan(512 * MiB);
  });

  it('never calls an unanswered stream clean: silence then hang-up is inconclusive', async () => {
    const connection = fake.nextConnection();
    const scanning = fake.scanner().scan(Readable.from([Buffer.from('hello')]));
    const conn = await connection;
    await conn.streamEnded;
    conn.socket.end();
    await expect(scanning).rejects.toBeInstanceOf(ScanInconclusiveError);
  });

  it('treats anything but a lone OK as inconclusive', async () => {
    const connection = fake.nextConnection();
    const scanning = fake.scanner().scan(Readable.from([Buffer.from('hello')]));
    const conn = await connection;
    await conn.streamEnded;
    conn.socket.end("stream: Can't allocate memory ERROR\0");
    await expect(scanning).rejects.toThrow(/allocate memory/);
  });

  it('aborts mid-stream: rejects with the reason, closes the socket, destroys the source', async () => {
    const source = lazySource(512 * MiB);
    const controller = new AbortController();
    const connection = fake.nextConnection();
    const scanning = fake.scanner().scan(source, { signal: controller.signal });
    const conn = await connection;
    await eventually(() => (conn.payload > MiB ? true : undefined), 30_000, 'a first MiB at the fake clamd', 5);
    controller.abort();
    await expect(scanning).rejects.toMatchObject({ name: 'AbortError' });
    await conn.closed;
    expect(source.destroyed).toBe(true);
  });

  it('aborts while waiting for the verdict: rejects and closes the socket', async () => {
    const controller = new AbortController();
    const connection = fake.nextConnection();
    let ended = false;
    const scanning = fake.scanner().scan(Readable.from([Buffer.from('hello')]), {
      signal: controller.signal,
      progressIntervalMs: 10,
      onProgress: () => {
        if (ended) controller.abort();
      },
    });
    const conn = await connection;
    await conn.streamEnded;
    ended = true;
    await expect(scanning).rejects.toMatchObject({ name: 'AbortError' });
    await conn.closed;
  });

  it('fails when clamd goes silent for timeoutMs, and closes the socket', async () => {
    const connection = fake.nextConnection();
    const scanning = fake.scanner({ timeoutMs: 200 }).scan(Readable.from([Buffer.from('hello')]));
    const conn = await connection;
    await expect(scanning).rejects.toBeInstanceOf(ScanInconclusiveError);
    await conn.closed;
  });

  // Memory stays flat: the scanner reads the source only as fast as clamd takes the bytes. Checked
  // at every arrival, so the verdict does not depend on timing; the fake reads slowly so that a
  // scanner without backpressure would pull far ahead.
  it('reads the source no further ahead of clamd than its socket buffers', async () => {
    const total = 256 * MiB;
    const source = lazySource(total);
    const connection = fake.nextConnection();
    const scanning = fake.scanner().scan(source);
    const conn = await connection;
    let worstLead = 0;
    conn.socket.on('data', () => {
      worstLead = Math.max(worstLead, source.pulled - conn.payload);
      conn.socket.pause();
      setTimeout(() => conn.socket.resume(), 1);
    });
    await conn.streamEnded;
    conn.socket.end('stream: OK\0');
    const result: ScanResult = await scanning;
    expect(result).toEqual({ clean: true, bytes: total });
    // 1 MiB of our own buffer plus the kernel's send and receive buffers (up to 4 + 32 MiB here).
    expect(worstLead).toBeLessThan(48 * MiB);
  });
});
