// Pure helpers of the demo page (no DOM), so unit specs can run them in node.

const MiB = 1024 * 1024;

/** Above this a file goes over tus (resumable through the API); below, straight to storage with Uppy's S3 plugin. */
export const TUS_THRESHOLD_BYTES = 100 * MiB;

export type UploaderName = 'tus' | 's3';

export function uploaderFor(size: number | null | undefined): UploaderName {
  return (size ?? 0) > TUS_THRESHOLD_BYTES ? 'tus' : 's3';
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const INCOMING_KEY = new RegExp(`^incoming/${UUID}/(${UUID})$`);
const TUS_URL = new RegExp(`/v1/tus/(${UUID})$`);

/**
 * The Intake upload a finished Uppy upload created: the S3 plugin reports the object key Intake
 * chose (`incoming/<tenant>/<upload>`), the tus plugin the upload's URL (`/v1/tus/<upload>`).
 */
export function uploadIdOf(response: { body?: { key?: unknown }; uploadURL?: unknown } | undefined): string | null {
  const key = response?.body?.key;
  if (typeof key === 'string') return INCOMING_KEY.exec(key)?.[1] ?? null;
  const url = response?.uploadURL;
  if (typeof url === 'string') return TUS_URL.exec(new URL(url, 'http://x').pathname)?.[1] ?? null;
  return null;
}

export interface StoryboardCue {
  start: number;
  end: number;
  /** The sheet's URL without the fragment. */
  sheet: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

function seconds(stamp: string): number {
  const parts = stamp.split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** The cues of a storyboard WebVTT (`start --> end` then `<sheet url>#xywh=x,y,w,h`). */
export function parseStoryboard(vtt: string): StoryboardCue[] {
  const cues: StoryboardCue[] = [];
  const lines = vtt.split(/\r?\n/);
  for (let i = 0; i < lines.length - 1; i++) {
    const timing = /^([\d:.]+)\s+-->\s+([\d:.]+)/.exec(lines[i]!);
    const target = timing ? /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[i + 1]!.trim()) : null;
    if (!timing || !target) continue;
    cues.push({
      start: seconds(timing[1]!),
      end: seconds(timing[2]!),
      sheet: target[1]!,
      x: Number(target[2]),
      y: Number(target[3]),
      w: Number(target[4]),
      h: Number(target[5]),
    });
  }
  return cues;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * What the page reads of an upload's view (UploadView in src/uploads/upload-view.ts, which the
 * browser build cannot import: it pulls in server code). test/unit/demo-page.spec.ts checks that
 * UploadView still fits this.
 */
export interface DemoUploadView {
  id: string;
  status: string;
  stage: string;
  progress: number;
  filename: string;
  metadata: Record<string, unknown> | null;
  outputs: Array<{ name: string; contentType: string; size: number; width: number | null; height: number | null; url: string }>;
  error: { code: string; message: string } | null;
}
