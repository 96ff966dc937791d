// Bundles the demo page (src/demo/page) and everything it imports from npm, Uppy's CSS included,
// into dist/demo-page/demo.{js,css}, which the API serves at /demo: the page needs no CDN.
// Run by `npm run build` after tsc; exits non-zero on any error.
import { build } from 'esbuild';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

async function main(): Promise<void> {
  await build({
    entryPoints: { demo: join(root, 'src', 'demo', 'page', 'main.ts') },
    outdir: join(root, 'dist', 'demo-page'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
