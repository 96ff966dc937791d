import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { API_FILES, createPreviewApp, renderApiDocument } from './openapi-files';

/** `npm run openapi` (first half): writes clients/ts/openapi.json; openapi-typescript then writes the types. */
async function main() {
  const root = join(__dirname, '..', '..');
  const app = await createPreviewApp();
  try {
    await writeFile(join(root, API_FILES.document), renderApiDocument(app));
    console.log(`wrote ${API_FILES.document}`);
  } finally {
    await app.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
