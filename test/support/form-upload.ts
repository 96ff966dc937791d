import { ApiClient } from './api-client';
import { PlatformProcess } from './platform';
import { eventually } from './stack';

// Jest-free, like the other process helpers.

/**
 * A browser's form upload to a POST policy: the fields in order, then the file as the last field
 * (S3 ignores fields after it). Answers storage's status and body.
 */
export async function postForm(
  url: string,
  fields: Record<string, string>,
  bytes: Buffer,
  fileContentType = 'application/octet-stream',
): Promise<{ status: number; body: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: fileContentType }), 'upload');
  const res = await fetch(url, { method: 'POST', body: form });
  return { status: res.status, body: await res.text() };
}

/**
 * The API on the stack's own port (PORT from scripts/test.sh), where the stack's MinIO sends its
 * bucket notifications: specs about arrival detection need those to reach this API.
 */
export async function startApiOnStackPort(env: NodeJS.ProcessEnv): Promise<{ proc: PlatformProcess; url: string; api: ApiClient }> {
  const port = process.env.PORT;
  if (!port) throw new Error('PORT is not set: run this spec through scripts/test.sh');
  const proc = PlatformProcess.spawn('api', 'main', { ...env, PORT: port, HOST: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`api exited early:\n${proc.logs.slice(-2000)}`);
      const res = await fetch(`${url}/health`);
      return res.status === 200 ? true : undefined;
    },
    30_000,
    'the API on the stack port to report healthy',
  );
  return { proc, url, api: new ApiClient(url) };
}
