import type { Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Recorded histories of the upload workflow, replayed by test/integration/workflow-replay.spec.ts
 * so a workflow change that would break uploads already running fails CI. Re-record after an
 * intended, versioned change (patched()) with:
 *   RECORD_WORKFLOW_HISTORIES=1 scripts/test.sh test/e2e/pipeline.spec.ts
 */
export const HISTORIES_DIR = join(__dirname, '..', 'fixtures', 'workflow-histories');

export const recordingHistories = () => process.env.RECORD_WORKFLOW_HISTORIES === '1';

/** Saves a finished workflow's history as the temporal CLI prints it (the JSON the SDK replays). */
export async function recordHistory(
  temporal: Client,
  config: { TEMPORAL_ADDRESS: string; TEMPORAL_NAMESPACE: string },
  workflowId: string,
  name: string,
): Promise<void> {
  await temporal.workflow.getHandle(workflowId).result(); // the whole history, up to its completion
  const { stdout } = await promisify(execFile)(
    'temporal',
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json',
      '--address', config.TEMPORAL_ADDRESS, '--namespace', config.TEMPORAL_NAMESPACE, '--disable-config-file', '--disable-config-env'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  await mkdir(HISTORIES_DIR, { recursive: true });
  await writeFile(join(HISTORIES_DIR, `${name}.json`), stdout);
}

/** The recordings as JSON objects: the SDK's replay converts them (historyFromJSON) itself. */
export async function loadHistories(): Promise<Array<{ workflowId: string; name: string; history: unknown }>> {
  const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({
      name: file.replace(/\.json$/, ''),
      workflowId: file.replace(/\.json$/, ''),
      history: JSON.parse(await readFile(join(HISTORIES_DIR, file), 'utf8')) as unknown,
    })),
  );
}
