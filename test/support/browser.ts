import { build } from 'esbuild';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import { chromium, Browser } from 'playwright-core';

// Jest-free on purpose: benchmarks and the demo can drive pages too.

/** Debian's chromium (scripts/bootstrap.sh installs it), driven headless by playwright-core. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Root in CI containers has no user namespaces for the sandbox; /dev/shm is small there.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** Bundles a browser entry point (test/browser/*.ts) and its npm imports into one IIFE script. */
export async function bundleForBrowser(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [join(__dirname, '..', 'browser', entry)],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/**
 * Serves one page that loads `script` from its own origin (http://127.0.0.1:<port>), so everything
 * it sends to the API and to storage is cross-origin, as from a tenant's real site.
 */
export class PageServer {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  /**
   * On the stack's page origin (INTAKE_PAGE_ORIGIN, which its CORS_ORIGINS allow) when there is
   * one, else on a free port.
   */
  static async start(script: string, title = 'Intake test page'): Promise<PageServer> {
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
      `<body><script src="/page.js"></script></body></html>`;
    const server = createServer((req, res) => {
      if (req.url === '/page.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
      } else if (req.url === '/' || req.url === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      } else {
        res.writeHead(404).end();
      }
    });
    const wanted = process.env.INTAKE_PAGE_ORIGIN ? Number(new URL(process.env.INTAKE_PAGE_ORIGIN).port) : 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(wanted, '127.0.0.1', resolve);
    });
    const { port } = server.address() as { port: number };
    return new PageServer(server, `http://127.0.0.1:${port}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
