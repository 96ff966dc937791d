import { loadConfig } from '../config/config';
import { createLogger } from '../common/logger';
import { createDataSource } from './data-source';

/** `npm run migrate`: applies pending migrations, then exits. Safe to run on every start. */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'migrate');
  const dataSource = await createDataSource(config.DATABASE_URL, 1).initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    log.info({ applied: applied.map((m) => m.name) }, applied.length ? 'migrations applied' : 'schema up to date');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`migration failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
