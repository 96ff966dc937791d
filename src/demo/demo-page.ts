import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { AppConfig } from '../config/config';

/** Built by `npm run build` (scripts/bundle-demo.ts) into dist/demo-page/, found from dist/src/demo or (jest) src/demo. */
const ABOVE_SRC = resolve(__dirname, '..', '..');
export const DEMO_ASSET_DIR = join(basename(ABOVE_SRC) === 'dist' ? ABOVE_SRC : join(ABOVE_SRC, 'dist'), 'demo-page');
export const DEMO_ASSETS = { 'demo.js': 'text/javascript; charset=utf-8', 'demo.css': 'text/css; charset=utf-8' } as const;

export function demoAssetsBuilt(): boolean {
  return Object.keys(DEMO_ASSETS).every((name) => existsSync(join(DEMO_ASSET_DIR, name)));
}

/**
 * Only this API and the storage it hands links to: the page talks to nothing else. hls.js feeds
 * the <video> through a blob: MediaSource URL; Uppy's Dashboard previews dropped images as blob:.
 */
export function demoCsp(config: Pick<AppConfig, 'PUBLIC_API_URL' | 'S3_ENDPOINT' | 'S3_PUBLIC_ENDPOINT'>): string {
  const ours = [...new Set(["'self'", new URL(config.PUBLIC_API_URL).origin, new URL(config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT).origin])].join(' ');
  return [
    "default-src 'self'",
    `connect-src ${ours}`,
    `img-src ${ours} blob: data:`,
    `media-src ${ours} blob:`,
    "script-src 'self'",
    "style-src 'self'",
    "worker-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

export const DEMO_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Intake demo</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/demo/assets/demo.css">
<script src="/demo/assets/demo.js" defer></script>
</head>
<body>
<header><h1>Intake demo</h1><p>Drop images, videos or any file: each goes straight to storage, then through the pipeline.</p></header>
<main>
<section id="dashboard" aria-label="Upload"></section>
<p id="notice" role="status"></p>
<section id="uploads" aria-label="Uploads"></section>
</main>
</body>
</html>
`;
