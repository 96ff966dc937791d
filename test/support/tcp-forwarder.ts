import { Server, Socket, connect, createServer } from 'node:net';

/**
 * A TCP forwarder to a real service that a test can cut and restore: the services are shared by
 * every stack on this machine, so "Redis (or PostgreSQL) goes down" is simulated in front of them.
 */
export class TcpForwarder {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on `port` (any free one the first time) and forwards each connection. */
  async open(port = this.port): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((done, fail) => server.once('error', fail).listen(port, '127.0.0.1', done));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Stops listening (new connections are refused) and drops every open connection. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((done) => server.close(done));
  }
}
