// Runs in headless Chromium (bundled by test/support/browser.ts): the real @uppy/core and
// @uppy/aws-s3, pointed at Intake's Uppy routes exactly as a tenant's page would be.
import Uppy from '@uppy/core';
import AwsS3 from '@uppy/aws-s3';
import type { UppyResult, UppyRun } from './uppy-contract';

const MiB = 1024 * 1024;

function textFile(size: number): Blob {
  const line = 'Intake browser upload test: every line of this file is the same plain ASCII text.\n';
  const chunk = line.repeat(Math.ceil(MiB / line.length)).slice(0, MiB);
  const parts: string[] = [];
  for (let left = size; left > 0; left -= MiB) parts.push(left >= MiB ? chunk : chunk.slice(0, left));
  return new Blob(parts, { type: 'text/plain' });
}

function fromBase64(base64: string, type: string): Blob {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type });
}

async function runUppy(run: UppyRun): Promise<UppyResult> {
  const data = run.base64 !== undefined ? fromBase64(run.base64, run.type) : textFile(run.textSize ?? 0);
  const uppy = new Uppy({ autoProceed: false });
  // Uppy's default: multipart above 100 MiB, a POST policy below.
  uppy.use(AwsS3, { companionEndpoint: run.companionEndpoint });
  uppy.addFile({ name: run.name, type: run.type, data, meta: run.metadata ?? {} });
  const result = await uppy.upload();
  return {
    successful: result?.successful?.length ?? 0,
    failed: (result?.failed ?? []).map((f) => ({ name: f.name ?? '', error: String(f.error ?? '') })),
    multipart: data.size > 100 * MiB,
  };
}

(window as unknown as { runUppy: typeof runUppy }).runUppy = runUppy;
