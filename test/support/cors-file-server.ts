import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.mp4': 'video/mp4',
};

/**
 * Serves a directory's files to any origin (`Access-Control-Allow-Origin: *`), as storage serves
 * presigned objects: a page on another origin reads them cross-origin. The query string is
 * ignored (it stands for a signature) and every request is recorded.
 */
export class CorsFileServer {
  readonly requests: Array<{ path: string; headers: IncomingHttpHeaders }> = [];

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(root: string): Promise<CorsFileServer> {
    let self: CorsFileServer | undefined;
    const server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      self?.requests.push({ path, headers: req.headers });
      const file = normalize(join(root, path));
      res.setHeader('Access-Control-Allow-Origin', '*');
      if (!file.startsWith(root + sep)) return void res.writeHead(404).end();
      stat(file).then(
        (s) => {
          res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': s.size });
          createReadStream(file).pipe(res);
        },
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as { port: number };
    self = new CorsFileServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
