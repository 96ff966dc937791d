import type { UploadOutput } from '../database/entities/upload-output.entity';
import type { Upload, UploadMode, UploadStage, UploadStatus } from '../database/entities/upload.entity';
import type { OutputLinks } from '../outputs/output-links';

export interface OutputView {
  name: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  /** Presigned GET (or, for `hls`, a signed API link), valid for DOWNLOAD_URL_TTL_SECONDS. */
  url: string;
}

/** The one public shape of an upload: `GET /v1/uploads/:id` and the `data` of every webhook. */
export interface UploadView {
  id: string;
  status: UploadStatus;
  stage: UploadStage;
  progress: number;
  filename: string;
  contentType: string;
  /** Declared size, or the measured one once verified when none was declared (Uppy, tus); null until then. */
  size: number | null;
  mode: UploadMode;
  /** Key/value strings from the client and its upload token. */
  clientMetadata: Record<string, string> | null;
  /** SHA-256 (hex) of the bytes that were scanned and processed; null until scanned clean. */
  sha256: string | null;
  metadata: Record<string, unknown> | null;
  outputs: OutputView[];
  error: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
}

export async function presentUpload(upload: Upload, outputs: UploadOutput[], links: OutputLinks): Promise<UploadView> {
  return {
    id: upload.id,
    status: upload.status,
    stage: upload.stage,
    progress: upload.progress,
    filename: upload.filename,
    contentType: upload.contentType,
    size: upload.size,
    mode: upload.mode,
    clientMetadata: upload.clientMetadata,
    sha256: upload.sha256,
    metadata: upload.metadata,
    outputs: await Promise.all(
      outputs.map(async (o) => ({
        name: o.name,
        contentType: o.contentType,
        size: o.size,
        width: o.width,
        height: o.height,
        url: await links.urlFor(upload.id, o),
      })),
    ),
    error: upload.errorCode ? { code: upload.errorCode, message: upload.errorMessage ?? '' } : null,
    createdAt: upload.createdAt.toISOString(),
    updatedAt: upload.updatedAt.toISOString(),
  };
}
