import { HeadObjectCommand, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ServiceError } from '@temporalio/client';
import { connect, createServer } from 'node:net';
import { DataSource, QueryFailedError } from 'typeorm';
import { unavailableDependency } from '../../src/common/dependency-errors';

// pg ships no types; this is the class its protocol parser throws for every server error.
type PgDatabaseError = Error & { severity?: string; code?: string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DatabaseError } = require('pg') as { DatabaseError: new (message: string, length: number, name: string) => PgDatabaseError };

/** A port nothing listens on: bound, then released, and only connected to right away. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** The error a real socket gives when nothing listens (what pg throws when PostgreSQL is down). */
async function refusedSocketError(): Promise<Error> {
  const port = await deadPort();
  return new Promise((resolve) => connect(port, '127.0.0.1').once('error', resolve));
}

function pgError(code: string, message = 'server said no'): PgDatabaseError {
  const err = new DatabaseError(message, message.length, 'error');
  err.severity = 'FATAL';
  err.code = code;
  return err;
}

function grpcError(code: number, details: string): Error {
  // The shape @grpc/grpc-js gives a failed call (callErrorFromStatus), as Temporal's client wraps it.
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

describe('unavailableDependency: which errors mean "a dependency is down"', () => {
  describe('PostgreSQL (pg and typeorm)', () => {
    it('classifies server-side SQLSTATEs for shutdown, connection, resources, missing database, credentials', () => {
      for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '53300', '3D000', '28P01', '57014']) {
        expect([code, unavailableDependency(pgError(code))]).toEqual([code, 'database']);
      }
    });

    it('sees through typeorm QueryFailedError to the driver error', () => {
      const shutdown = new QueryFailedError('SELECT 1', [], pgError('57P01', 'terminating connection due to administrator command'));
      expect(unavailableDependency(shutdown)).toBe('database');
      const dropped = new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly'));
      expect(unavailableDependency(dropped)).toBe('database');
    });

    it('classifies pg client-side connection failures, which carry no code', () => {
      for (const message of ['Connection terminated unexpectedly', 'timeout exceeded when trying to connect', 'Query read timeout']) {
        expect(unavailableDependency(new Error(message))).toBe('database');
      }
    });

    it('classifies typeorm refusing to query before it is connected', async () => {
      const never = new DataSource({ type: 'postgres', url: 'postgres://nobody@127.0.0.1:1/none' });
      const err = await never.query('SELECT 1').catch((e: unknown) => e);
      expect(unavailableDependency(err)).toBe('database');
    });

    it('leaves query mistakes alone: they are bugs, not outages', () => {
      for (const code of ['42601', '23505', '22P02', '42P01', '40001']) {
        expect([code, unavailableDependency(pgError(code))]).toEqual([code, null]);
        expect([code, unavailableDependency(new QueryFailedError('x', [], pgError(code)))]).toEqual([code, null]);
      }
    });
  });

  describe('S3 (AWS SDK v3)', () => {
    it('classifies a refused connection, as the SDK reports it after its retries', async () => {
      const port = await deadPort();
      const s3 = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      const err = await s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' })).catch((e: unknown) => e);
      s3.destroy();
      expect(unavailableDependency(err)).toBe('storage');
    });

    it('classifies 5xx answers and SDK timeouts, not 4xx answers', () => {
      const server = (status: number, name: string) =>
        new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
      expect(unavailableDependency(server(503, 'SlowDown'))).toBe('storage');
      expect(unavailableDependency(server(500, 'InternalError'))).toBe('storage');
      const timeout = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError', $metadata: {} });
      expect(unavailableDependency(timeout)).toBe('storage');
      expect(unavailableDependency(server(403, 'AccessDenied'))).toBeNull();
      expect(unavailableDependency(new NotFound({ message: 'nope', $metadata: { httpStatusCode: 404 } }))).toBeNull();
    });
  });

  describe('Temporal (gRPC)', () => {
    it('classifies UNAVAILABLE and DEADLINE_EXCEEDED, wrapped in the client ServiceError or not', () => {
      const unavailable = grpcError(14, 'No connection established');
      expect(unavailableDependency(unavailable)).toBe('temporal');
      expect(unavailableDependency(new ServiceError('Failed to start Workflow', { cause: unavailable }))).toBe('temporal');
      expect(unavailableDependency(grpcError(4, 'Deadline exceeded'))).toBe('temporal');
      expect(unavailableDependency(grpcError(3, 'bad argument'))).toBeNull();
      expect(unavailableDependency(new ServiceError('Failed', { cause: grpcError(6, 'already exists') }))).toBeNull();
    });
  });

  describe('errors that do not say whose socket failed', () => {
    it('calls a bare refused socket (pg pool connect) a dependency outage of unknown origin, also when wrapped', async () => {
      const refused = await refusedSocketError();
      expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
      expect(unavailableDependency(refused)).toBe('unknown');
      expect(unavailableDependency(new Error('wrapped', { cause: refused }))).toBe('unknown');
      expect(unavailableDependency(new AggregateError([refused], 'all attempts failed'))).toBe('unknown');
    });

    it('prefers a named dependency found deeper in the chain', async () => {
      const refused = await refusedSocketError();
      const both = new AggregateError([refused, pgError('57P01')], 'x');
      expect(unavailableDependency(both)).toBe('database');
    });

    it('answers null for everything else, whatever its message says', () => {
      for (const err of [
        new Error('boom'),
        new Error('connect ECONNREFUSED 127.0.0.1:5432'), // text alone proves nothing
        new TypeError("Cannot read properties of undefined (reading 'id')"),
        Object.assign(new Error('no such file'), { code: 'ENOENT' }),
        'a string',
        undefined,
        null,
      ]) {
        expect(unavailableDependency(err)).toBeNull();
      }
    });

    it('stops on cyclic causes', () => {
      const a: Error & { cause?: unknown } = new Error('a');
      a.cause = new Error('b', { cause: a });
      expect(unavailableDependency(a)).toBeNull();
    });
  });
});
