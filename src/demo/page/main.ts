// The demo page (served at /demo): Uppy's Dashboard uploads with a demo upload token, and each
// upload is then followed over Server-Sent Events until it is ready or rejected.
import Uppy, { type UppyFile } from '@uppy/core';
import AwsS3 from '@uppy/aws-s3';
import Dashboard from '@uppy/dashboard';
import Tus from '@uppy/tus';
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';
import './demo.css';
import { UploadCard, isTerminal } from './upload-card';
import { DemoUploadView, UploaderName, uploadIdOf, uploaderFor } from './upload-routing';

type DemoUppy = Uppy<Record<string, unknown>, Record<string, never>>;

async function demoToken(): Promise<string> {
  const res = await fetch('/demo/upload-token', { method: 'POST' });
  const body = (await res.json()) as { token?: string; error?: { message: string } };
  if (!res.ok || !body.token) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body.token;
}

/**
 * Uppy runs every uploader on every file; this installs a plugin whose uploader only sees the
 * files routed to it, so small files go to S3 and large ones over tus, side by side.
 */
function useFor(uppy: DemoUppy, name: UploaderName, install: () => void): void {
  const addUploader = uppy.addUploader.bind(uppy);
  uppy.addUploader = (fn) =>
    addUploader((fileIDs, uploadID) => fn(fileIDs.filter((id) => uploaderFor(uppy.getFile(id)?.size) === name), uploadID));
  try {
    install();
  } finally {
    uppy.addUploader = addUploader;
  }
}

function follow(card: UploadCard, id: string, token: string): void {
  const events = new EventSource(`/v1/uploads/${id}/events?token=${encodeURIComponent(token)}`);
  events.addEventListener('status', (event) => {
    const view = JSON.parse((event as MessageEvent<string>).data) as DemoUploadView;
    card.update(view);
    if (isTerminal(view)) events.close();
  });
}

async function main(): Promise<void> {
  const notice = document.getElementById('notice')!;
  const list = document.getElementById('uploads')!;
  let token: string;
  try {
    token = await demoToken();
  } catch (err) {
    notice.textContent = `No upload token for the demo tenant: ${String((err as Error).message)}. Is DEMO_API_KEY_FILE set?`;
    return;
  }
  const uppy: DemoUppy = new Uppy({ autoProceed: true });
  uppy.use(Dashboard, { target: '#dashboard', inline: true, height: 320, width: '100%', proudlyDisplayPoweredByUppy: false });
  useFor(uppy, 's3', () => uppy.use(AwsS3, { companionEndpoint: `${location.origin}/v1/uppy/${token}`, allowedMetaFields: [] }));
  // tus needs filename and filetype; Uppy copies them from name and type.
  useFor(uppy, 'tus', () =>
    uppy.use(Tus, { endpoint: `${location.origin}/v1/tus`, headers: { authorization: `Bearer ${token}` }, allowedMetaFields: ['name', 'type'] }));

  const cards = new Map<string, UploadCard>();
  uppy.on('upload', (_id, files: UppyFile<Record<string, unknown>, Record<string, never>>[]) => {
    for (const file of files) {
      const card = new UploadCard(file.name ?? 'file');
      cards.set(file.id, card);
      list.prepend(card.root);
    }
  });
  uppy.on('upload-success', (file, response) => {
    const card = file && cards.get(file.id);
    const id = uploadIdOf(response as Parameters<typeof uploadIdOf>[0]);
    if (card && id) follow(card, id, token);
  });
  uppy.on('upload-error', (file, error) => {
    const card = file && cards.get(file.id);
    if (card) card.failed(error.message);
  });
  document.body.dataset.ready = 'true';
}

void main();
