import type { Upload } from '../clients/ts/src';

/** Exit codes a script can rely on (docs/cli.md). */
export const EXIT = {
  /** Every upload succeeded (with --watch: every one is ready). */
  ok: 0,
  /** Some file was refused by the API, or rejected, failed or expired in the pipeline. */
  unsuccessful: 1,
  /** Bad arguments or configuration (no API URL or key, or the key was refused). */
  usage: 2,
  /** The API or the network failed (5xx, unreachable, timed out waiting). */
  api: 3,
} as const;

export const UNSUCCESSFUL_STATUSES: ReadonlySet<string> = new Set(['rejected', 'failed', 'expired', 'deleted', 'refused']);

const kb = (bytes: number) => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

type Outcome = { id: string | null; status: string; outputs: Upload['outputs']; error: { code: string; message: string } | null };

/** One line about an upload: name, id, status (with stage while it runs), outputs or error code. */
export function describe(label: string, outcome: Outcome & Partial<Pick<Upload, 'stage' | 'progress'>>): string {
  const status = outcome.status === 'processing' && outcome.stage ? `processing (${outcome.stage}, ${outcome.progress}%)` : outcome.status;
  const parts = [label, outcome.id ?? '-', status];
  if (outcome.outputs.length) parts.push(`outputs: ${outcome.outputs.map((o) => `${o.name} (${o.contentType}, ${kb(o.size)})`).join(', ')}`);
  if (outcome.error) parts.push(`error: ${outcome.error.code}: ${outcome.error.message}`);
  return parts.join('  ');
}

export const describeUpload = (upload: Upload) => describe(upload.filename, upload);
export const describeResult = (result: Outcome & { file: string }) => describe(result.file, result);

/** The exit code a final view of one upload earns. */
export function exitFor(status: string): number {
  return UNSUCCESSFUL_STATUSES.has(status) ? EXIT.unsuccessful : EXIT.ok;
}
