import type { UploadView } from '../uploads/upload-view';
import type { WebhookEvent } from '../../workflows/contract';

/** One example body per event type: what consumers receive (docs and the API description use these). */
export interface WebhookBody {
  type: WebhookEvent;
  /** When the event happened (the same on every attempt). */
  timestamp: string;
  /** The upload's status object then, with download URLs signed for the attempt. */
  data: UploadView;
}

const ID = '3f6c1e2a-8d4b-4c1e-9a57-2b8f0d6e4c11';
const created = '2026-11-30T12:00:00.000Z';
const url = (name: string) =>
  `https://storage.example.com/intake/uploads/tenant/${ID}/outputs/${name}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=...`;

const base: UploadView = {
  id: ID,
  status: 'processing',
  stage: 'awaiting_upload',
  progress: 0,
  filename: 'beach.jpg',
  contentType: 'image/jpeg',
  size: 2_481_152,
  mode: 'put',
  clientMetadata: { userId: 'u_42' },
  sha256: null,
  metadata: null,
  outputs: [],
  error: null,
  createdAt: created,
  updatedAt: '2026-11-30T12:00:04.112Z',
};

const ended = { stage: 'done' as const, updatedAt: '2026-11-30T12:00:06.870Z' };

export const WEBHOOK_EVENT_EXAMPLES: Record<WebhookEvent, WebhookBody> = {
  'upload.processing': { type: 'upload.processing', timestamp: base.updatedAt, data: base },
  'upload.ready': {
    type: 'upload.ready',
    timestamp: ended.updatedAt,
    data: {
      ...base,
      ...ended,
      status: 'ready',
      progress: 100,
      sha256: '9f2b5c0e7d1a4f6b8c3e2d1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e',
      metadata: { width: 4032, height: 3024, format: 'jpeg', exif: { Make: 'Apple', Model: 'iPhone 15' } },
      outputs: [
        { name: 'optimized', contentType: 'image/webp', size: 412_876, width: 2048, height: 1536, url: url('optimized.webp') },
        { name: 'thumbnail', contentType: 'image/webp', size: 14_210, width: 320, height: 240, url: url('thumbnail.webp') },
      ],
    },
  },
  'upload.rejected': {
    type: 'upload.rejected',
    timestamp: ended.updatedAt,
    data: {
      ...base,
      ...ended,
      status: 'rejected',
      error: { code: 'INFECTED', message: 'Virus scanner found: Win.Test.EICAR_HDB-1' },
    },
  },
  'upload.failed': {
    type: 'upload.failed',
    timestamp: ended.updatedAt,
    data: {
      ...base,
      ...ended,
      status: 'failed',
      error: { code: 'PROCESSING_FAILED', message: 'Processing kept failing after retries; the upload was not processed' },
    },
  },
  'upload.expired': {
    type: 'upload.expired',
    timestamp: '2026-11-30T13:00:00.310Z',
    data: {
      ...base,
      ...ended,
      status: 'expired',
      updatedAt: '2026-11-30T13:00:00.310Z',
      error: { code: 'UPLOAD_EXPIRED', message: 'No upload was completed before expiresAt' },
    },
  },
  'upload.deleted': {
    type: 'upload.deleted',
    timestamp: '2026-12-01T09:15:02.004Z',
    data: { ...base, ...ended, status: 'deleted', updatedAt: '2026-12-01T09:15:02.004Z' },
  },
};
