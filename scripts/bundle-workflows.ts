import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleWorkflows } from '../src/temporal/workflow-bundle';

/** Prebuilds the workflow bundle so workers start in a second instead of running webpack. */
async function main() {
  const code = await bundleWorkflows();
  const out = join(__dirname, '..', 'workflow-bundle.js');
  await writeFile(out, code);
  process.stdout.write(`workflow bundle written to ${out} (${code.length} bytes)\n`);
}

main().catch((err) => {
  process.stderr.write(`workflow bundle failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
