import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { IntakeApiError, IntakeClient, ResumeState, Upload } from '../clients/ts/src';
import { EXIT, UNSUCCESSFUL_STATUSES, describeResult } from './output';
import { ProgressDisplay } from './progress';
import { ResumeStore } from './resume-store';

export interface UploadCommandOptions {
  client: IntakeClient;
  apiUrl: string;
  store: ResumeStore;
  display: ProgressDisplay;
  watch: boolean;
  mode: 'auto' | 'put' | 'multipart';
  multipartThreshold?: number;
  concurrency?: number;
  timeoutMs: number;
}

export interface FileResult {
  file: string;
  id: string | null;
  /** The upload's status, or `refused` when the API would not take the file. */
  status: string;
  resumed: boolean;
  outputs: Upload['outputs'];
  error: { code: string; message: string } | null;
}

/** The files named: files as given, folders walked (hidden entries skipped), in a stable order. */
export function expandInputs(inputs: string[]): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    const stats = statSync(path);
    if (stats.isFile()) return files.push(path);
    if (!stats.isDirectory()) return;
    for (const entry of readdirSync(path).sort()) if (!entry.startsWith('.')) walk(join(path, entry));
  };
  for (const input of inputs) walk(input);
  return files;
}

/** The API refused this one file (type, size, quota...): a result, not a failure of the run. */
const refusedFile = (err: unknown) => err instanceof IntakeApiError && err.status >= 400 && err.status < 500 && err.status !== 401;
/** A remembered upload that can no longer be resumed: start afresh. */
const staleResume = (err: unknown) =>
  err instanceof IntakeApiError && ['UPLOAD_NOT_FOUND', 'UPLOAD_STATE_CONFLICT', 'UPLOAD_EXPIRED'].includes(err.code);

async function uploadOne(file: string, label: string, o: UploadCommandOptions): Promise<FileResult> {
  const total = statSync(file).size;
  const show = o.display.start(label, total);
  let resume = o.store.find(file, o.apiUrl);
  let resumed = resume !== undefined;
  const send = (from: ResumeState | undefined) =>
    o.client.uploadFile(file, {
      mode: o.mode,
      multipartThreshold: o.multipartThreshold,
      concurrency: o.concurrency,
      resume: from,
      onCreated: (state) => o.store.remember(file, o.apiUrl, state),
      onProgress: ({ sentBytes }) => show(sentBytes),
    });
  let id: string;
  try {
    try {
      id = await send(resume);
    } catch (err) {
      if (!resume || !staleResume(err)) throw err;
      o.store.forget(file);
      resume = undefined;
      resumed = false;
      id = await send(undefined);
    }
  } catch (err) {
    if (!refusedFile(err)) throw err;
    const { code, message } = err as IntakeApiError;
    return { file: label, id: null, status: 'refused', resumed, outputs: [], error: { code, message: message.replace(/^\w+: /, '') } };
  }
  o.store.forget(file);
  const view = o.watch ? await o.client.waitUntilReady(id, { timeout: o.timeoutMs }) : await o.client.getUpload(id);
  return { file: label, id, status: view.status, resumed, outputs: view.outputs, error: view.error };
}

/** `intake upload`: one file after another; answers every file's result and the run's exit code. */
export async function uploadCommand(inputs: string[], o: UploadCommandOptions): Promise<{ results: FileResult[]; exitCode: number }> {
  const results: FileResult[] = [];
  for (const file of expandInputs(inputs)) {
    const label = relative(process.cwd(), file) || file;
    const result = await uploadOne(file, label, o);
    results.push(result);
    o.display.log(describeResult(result));
  }
  const exitCode = results.some((r) => UNSUCCESSFUL_STATUSES.has(r.status)) ? EXIT.unsuccessful : EXIT.ok;
  return { results, exitCode };
}
