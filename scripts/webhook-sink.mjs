// Stand-in for a tenant's webhook endpoint during local development: prints every delivery as
// one JSON line on stdout and answers 204. GET answers 200 so scripts can tell it is up.
import http from 'node:http';

const host = '127.0.0.1';
const port = Number(process.env.WEBHOOK_SINK_PORT ?? 3999);

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('webhook sink\n');
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    const line = {
      receivedAt: new Date().toISOString(),
      path: req.url,
      // Standard Webhooks headers, so a signature can be checked by hand.
      webhookId: req.headers['webhook-id'],
      webhookTimestamp: req.headers['webhook-timestamp'],
      webhookSignature: req.headers['webhook-signature'],
      body,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    res.writeHead(204).end();
  });
});

server.listen(port, host);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
