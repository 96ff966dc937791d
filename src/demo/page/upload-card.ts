import { el } from './dom';
import { DemoUploadView, formatBytes } from './upload-routing';
import { VideoPlayer } from './video-player';

const TERMINAL = new Set(['ready', 'rejected', 'failed', 'expired', 'deleted']);

export function isTerminal(view: DemoUploadView): boolean {
  return TERMINAL.has(view.status);
}

/** One upload on the page, redrawn from each status the live stream sends. */
export class UploadCard {
  readonly root: HTMLElement;
  private readonly status = el('span', { class: 'status' });
  private readonly progress = el('progress', { max: '100', value: '0' });
  private readonly body = el('div', { class: 'body' });
  private player: VideoPlayer | null = null;

  constructor(filename: string) {
    this.root = el('article', { class: 'upload', 'data-filename': filename, 'data-status': 'uploading' },
      el('header', {}, el('h2', {}, filename), this.status), this.progress, this.body);
    this.status.textContent = 'uploading';
  }

  update(view: DemoUploadView): void {
    this.root.dataset.uploadId = view.id;
    this.root.dataset.status = view.status;
    this.status.textContent = view.status === 'processing' ? `processing: ${view.stage} ${view.progress}%` : view.status;
    this.progress.value = view.status === 'ready' ? 100 : view.progress;
    if (!isTerminal(view)) return;
    this.root.dataset.finished = 'true';
    this.progress.remove();
    this.body.replaceChildren(...this.details(view));
  }

  /** The upload itself failed (Uppy's error): there is no Intake upload to follow. */
  failed(message: string): void {
    this.root.dataset.status = 'upload-error';
    this.root.dataset.finished = 'true';
    this.status.textContent = 'upload failed';
    this.progress.remove();
    this.body.replaceChildren(el('p', { class: 'rejection' }, message));
  }

  private details(view: DemoUploadView): Node[] {
    const nodes: Node[] = [];
    if (view.error) nodes.push(el('p', { class: 'rejection', 'data-code': view.error.code }, `${view.status}: `, el('code', {}, view.error.code), ` ${view.error.message}`));
    const thumbnail = view.outputs.find((o) => o.name === 'thumbnail');
    if (thumbnail) nodes.push(el('img', { class: 'thumbnail', src: thumbnail.url, alt: `thumbnail of ${view.filename}` }));
    const hls = view.outputs.find((o) => o.name === 'hls');
    if (hls) {
      this.player?.destroy();
      this.player = new VideoPlayer(hls.url, view.outputs.find((o) => o.name === 'storyboard_vtt')?.url ?? null);
      nodes.push(this.player.root);
    }
    if (view.outputs.length) nodes.push(variantsTable(view.outputs));
    if (view.metadata) nodes.push(metadataList(view.metadata));
    return nodes;
  }
}

function variantsTable(outputs: DemoUploadView['outputs']): HTMLElement {
  const rows = outputs.map((o) =>
    el('tr', { 'data-output': o.name },
      el('td', {}, el('a', { href: o.url, target: '_blank', rel: 'noopener' }, o.name)),
      el('td', {}, o.contentType),
      el('td', {}, o.width && o.height ? `${o.width}×${o.height}` : ''),
      el('td', { class: 'size' }, formatBytes(o.size))));
  return el('table', { class: 'variants' },
    el('thead', {}, el('tr', {}, el('th', {}, 'output'), el('th', {}, 'type'), el('th', {}, 'dimensions'), el('th', {}, 'size'))),
    el('tbody', {}, ...rows));
}

type Metadata = Record<string, unknown>;

/** The metadata worth reading at a glance; GPS is shown with the fact that no output carries it. */
function metadataList(metadata: Metadata): HTMLElement {
  const entries: Array<[string, Node | string]> = [];
  const add = (label: string, value: unknown) => {
    if (value !== null && value !== undefined && value !== '') entries.push([label, String(value)]);
  };
  const camera = metadata.camera as Metadata | undefined;
  const exposure = metadata.exposure as Metadata | undefined;
  add('kind', metadata.kind);
  add('format', metadata.format ?? metadata.container);
  add('dimensions', metadata.width && metadata.height ? `${metadata.width}×${metadata.height}` : null);
  add('duration', typeof metadata.durationSeconds === 'number' ? `${metadata.durationSeconds.toFixed(1)} s` : null);
  add('codecs', [metadata.videoCodec, metadata.audioCodec].filter(Boolean).join(' / '));
  add('camera', [camera?.make, camera?.model].filter(Boolean).join(' '));
  add('taken', metadata.takenAt);
  add('exposure', [exposure?.exposureTime, exposure?.fNumber ? `f/${exposure.fNumber}` : null, exposure?.iso ? `ISO ${exposure.iso}` : null].filter(Boolean).join(' '));
  const gps = metadata.gps as { latitude: number; longitude: number; altitude: number | null } | null | undefined;
  if (gps) {
    entries.push(['GPS', el('span', { class: 'gps', 'data-stripped': 'true' },
      `${gps.latitude.toFixed(5)}, ${gps.longitude.toFixed(5)}${gps.altitude === null ? '' : ` (${gps.altitude} m)`} `,
      el('strong', { class: 'flag' }, 'stripped from every output'))]);
  }
  return el('dl', { class: 'metadata' }, ...entries.flatMap(([label, value]) => [el('dt', {}, label), el('dd', {}, value)]));
}
