import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../../src/config/config';
import { EventStreams } from '../../src/live-status/event-streams';
import { EventStreamReader, openEventStream } from '../support/event-stream';
import { eventually } from '../support/stack';

/** EventStreams over real HTTP (Express, as the API serves it): closing, heartbeats, shutdown. */
describe('EventStreams (real HTTP)', () => {
  let streams: EventStreams;
  let server: Server;
  let url: string;
  /** Names of the streams whose close callback ran, this test's server only. */
  let closed: string[] = [];
  const readers: EventStreamReader[] = [];

  beforeEach(async () => {
    // Its own array: a previous test's streams may still report their close after it ended.
    const closedHere: string[] = [];
    closed = closedHere;
    streams = new EventStreams({ LIVE_STATUS_HEARTBEAT_SECONDS: 0.05 } as AppConfig);
    const app = express();
    app.get('/streams/:name', (req, res) => {
      const stream = streams.start(res, () => closedHere.push(req.params.name));
      stream.send('status', { name: req.params.name });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    for (const r of readers.splice(0)) r.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function open(name: string): Promise<EventStreamReader> {
    const reader = await openEventStream(`${url}/streams/${name}`);
    readers.push(reader);
    expect(await reader.next()).toEqual({ event: 'status', data: JSON.stringify({ name }) });
    return reader;
  }

  it('runs its close callback when the client goes away, so the stream unsubscribes', async () => {
    const reader = await open('leaving');
    expect(closed).toEqual([]);
    reader.close();
    await eventually(() => (closed.length ? closed : undefined), 10_000, 'the close callback');
    expect(closed).toEqual(['leaving']);
  });

  it('beats every open stream from one shared interval, which stops when none is open', async () => {
    const setInterval = jest.spyOn(global, 'setInterval');
    const clearInterval = jest.spyOn(global, 'clearInterval');
    const [a, b, c] = [await open('a'), await open('b'), await open('c')];
    await eventually(() => ([a, b, c].every((r) => r.comments >= 2) ? true : undefined), 10_000, 'heartbeats on every stream');
    expect(setInterval).toHaveBeenCalledTimes(1);

    for (const r of [a, b, c]) r.close();
    await eventually(() => (closed.length === 3 ? true : undefined), 10_000, 'all three closed');
    expect(clearInterval).toHaveBeenCalledTimes(1);
    // A new stream starts the interval again.
    const d = await open('d');
    await eventually(() => (d.comments >= 1 ? true : undefined), 10_000, 'a heartbeat on the new stream');
    expect(setInterval).toHaveBeenCalledTimes(2);
  });

  it('ends every open stream on shutdown', async () => {
    const [a, b] = [await open('a'), await open('b')];
    streams.beforeApplicationShutdown();
    expect([await a.rest(10_000), await b.rest(10_000)]).toEqual([[], []]);
    await eventually(() => (closed.length === 2 ? true : undefined), 10_000, 'both closed');
  });

  it('gives a client that left before the stream started no stream, and calls back at once', async () => {
    const calls: string[] = [];
    const res = { destroyed: true } as unknown as import('express').Response;
    const stream = streams.start(res, () => calls.push('closed'));
    stream.send('status', {});
    expect(calls).toEqual(['closed']);
  });
});
