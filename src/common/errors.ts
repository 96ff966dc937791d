import { HttpStatus } from '@nestjs/common';

/**
 * The error catalogue: every error a client or webhook consumer can see has a stable code here.
 * HTTP errors carry their status; pipeline rejections become the upload's terminal `error`.
 */
export enum ErrorCode {
  // HTTP API
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  INVALID_JSON = 'INVALID_JSON',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNAUTHORIZED = 'UNAUTHORIZED',
  ADMIN_DISABLED = 'ADMIN_DISABLED',
  NOT_FOUND = 'NOT_FOUND',
  UPLOAD_NOT_FOUND = 'UPLOAD_NOT_FOUND',
  UNSUPPORTED_TYPE = 'UNSUPPORTED_TYPE',
  FILE_TOO_LARGE = 'FILE_TOO_LARGE',
  OBJECT_NOT_UPLOADED = 'OBJECT_NOT_UPLOADED',
  UPLOAD_EXPIRED = 'UPLOAD_EXPIRED',
  DEPENDENCY_UNAVAILABLE = 'DEPENDENCY_UNAVAILABLE',
  /** A webhook endpoint's URL is not http(s), carries credentials, or points at a non-public address. */
  INVALID_WEBHOOK_URL = 'INVALID_WEBHOOK_URL',
  INTERNAL = 'INTERNAL',
  /** A field has the right type but unsafe or malformed content (filename, content type), or the body cannot be read. */
  INVALID_REQUEST = 'INVALID_REQUEST',
  /** An upload token tried something only an API key may do (list uploads, manage keys, tokens or webhooks). */
  TOKEN_NOT_PERMITTED = 'TOKEN_NOT_PERMITTED',
  /** The upload token has created as many uploads as it allows. */
  UPLOAD_TOKEN_EXHAUSTED = 'UPLOAD_TOKEN_EXHAUSTED',
  /** The type is one Intake handles, but the tenant's policy or the upload token does not allow it. */
  TYPE_NOT_ALLOWED = 'TYPE_NOT_ALLOWED',
  /** The tenant's stored bytes plus this upload would exceed its storageQuotaBytes. */
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  RATE_LIMITED = 'RATE_LIMITED',
  /** Multipart complete found parts missing or of the wrong size. */
  INCOMPLETE_UPLOAD = 'INCOMPLETE_UPLOAD',
  /** The call does not fit the upload's mode (parts of a PUT upload) or its state (parts after complete). */
  UPLOAD_STATE_CONFLICT = 'UPLOAD_STATE_CONFLICT',
  TENANT_NOT_FOUND = 'TENANT_NOT_FOUND',
  API_KEY_NOT_FOUND = 'API_KEY_NOT_FOUND',
  UPLOAD_TOKEN_NOT_FOUND = 'UPLOAD_TOKEN_NOT_FOUND',
  WEBHOOK_ENDPOINT_NOT_FOUND = 'WEBHOOK_ENDPOINT_NOT_FOUND',
  WEBHOOK_DELIVERY_NOT_FOUND = 'WEBHOOK_DELIVERY_NOT_FOUND',
  /** The tenant has WEBHOOK_MAX_ENDPOINTS endpoints already. */
  TOO_MANY_WEBHOOK_ENDPOINTS = 'TOO_MANY_WEBHOOK_ENDPOINTS',
  /** A replay to an endpoint that is disabled: enable it first. */
  WEBHOOK_ENDPOINT_DISABLED = 'WEBHOOK_ENDPOINT_DISABLED',
  /** A signed link (an HLS playlist's) is not one this API made, or has expired. */
  INVALID_LINK = 'INVALID_LINK',
  /** A replay of this delivery is still running. */
  WEBHOOK_REPLAY_IN_PROGRESS = 'WEBHOOK_REPLAY_IN_PROGRESS',
  /** Admin retry of an upload that is not `failed`, has no verified original, or whose workflow still runs. */
  NOT_RETRYABLE = 'NOT_RETRYABLE',
  /** Admin reprocess of an upload that is not `ready`, or whose workflow still runs. */
  NOT_REPROCESSABLE = 'NOT_REPROCESSABLE',

  // Pipeline rejections (terminal, non-retryable; the workflow's list is REJECTION_CODES in
  // workflows/contract.ts)
  OBJECT_MISSING = 'OBJECT_MISSING',
  SIZE_MISMATCH = 'SIZE_MISMATCH',
  TYPE_MISMATCH = 'TYPE_MISMATCH',
  INFECTED = 'INFECTED',
  SCAN_LIMIT_EXCEEDED = 'SCAN_LIMIT_EXCEEDED',
  IMAGE_TOO_LARGE = 'IMAGE_TOO_LARGE',
  CORRUPT_MEDIA = 'CORRUPT_MEDIA',
  /** Encrypted archive or document: the virus scanner cannot look inside, so it is not vouched for. */
  ENCRYPTED_CONTENT = 'ENCRYPTED_CONTENT',
  /** The object changed after the client declared it complete (its ETag no longer matches). */
  TAMPERED = 'TAMPERED',
  /** Video over VIDEO_MAX_WIDTH / VIDEO_MAX_HEIGHT / VIDEO_MAX_PIXELS. */
  VIDEO_TOO_LARGE = 'VIDEO_TOO_LARGE',
  /** Video longer than VIDEO_MAX_DURATION_SECONDS. */
  VIDEO_TOO_LONG = 'VIDEO_TOO_LONG',
  /** Video frame rate over VIDEO_MAX_FRAME_RATE. */
  VIDEO_FRAME_RATE_TOO_HIGH = 'VIDEO_FRAME_RATE_TOO_HIGH',
  /** More streams than VIDEO_MAX_STREAMS. */
  TOO_MANY_STREAMS = 'TOO_MANY_STREAMS',

  // (FILE_TOO_LARGE, TYPE_NOT_ALLOWED and QUOTA_EXCEEDED are also pipeline rejections: verify
  // checks the actual bytes against the limits the upload was created under.)

  // Pipeline failure after retries
  PROCESSING_FAILED = 'PROCESSING_FAILED',
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: HttpStatus,
    /** Response headers that belong to the error (Retry-After on 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/** Services the API needs; `unknown` when an error says "unreachable" but not whose. */
export type Dependency = 'database' | 'storage' | 'temporal' | 'unknown';

const DEPENDENCY_NAMES: Record<Dependency, string> = {
  database: 'The database',
  storage: 'Object storage',
  temporal: 'The workflow service',
  unknown: 'A service this request needs',
};

/**
 * What a message may say about a client's value: printable ASCII without quotes or backslashes,
 * at most `max` characters. Anything else is dropped, so no control character, markup or long
 * input is ever reflected.
 */
export function safeEcho(value: string, max = 64): string {
  const kept = value.replace(/[^\x21\x23-\x5b\x5d-\x7e]/g, '');
  return kept.length > max ? `${kept.slice(0, max)}...` : kept;
}

/** Part numbers in a message: the first 50, then a count. */
function listParts(parts: number[]): string {
  return parts.length > 50 ? `${parts.slice(0, 50).join(', ')} and ${parts.length - 50} more` : parts.join(', ');
}

export const errors = {
  validation: (message: string) => new AppError(ErrorCode.VALIDATION_FAILED, message, HttpStatus.BAD_REQUEST),
  invalidRequest: (message: string, status: HttpStatus = HttpStatus.BAD_REQUEST) =>
    new AppError(ErrorCode.INVALID_REQUEST, message, status),
  internal: () => new AppError(ErrorCode.INTERNAL, 'Internal server error', HttpStatus.INTERNAL_SERVER_ERROR),
  payloadTooLarge: () => new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'Request body is too large', HttpStatus.PAYLOAD_TOO_LARGE),
  invalidJson: () => new AppError(ErrorCode.INVALID_JSON, 'Request body is not valid JSON', HttpStatus.BAD_REQUEST),
  unauthorized: () =>
    new AppError(ErrorCode.UNAUTHORIZED, 'Missing or invalid Authorization bearer token', HttpStatus.UNAUTHORIZED),
  adminDisabled: () =>
    new AppError(ErrorCode.ADMIN_DISABLED, 'The admin API is disabled: ADMIN_TOKEN is not set', HttpStatus.FORBIDDEN),
  notFound: (what = 'Route') => new AppError(ErrorCode.NOT_FOUND, `${what} not found`, HttpStatus.NOT_FOUND),
  uploadNotFound: () => new AppError(ErrorCode.UPLOAD_NOT_FOUND, 'Upload not found', HttpStatus.NOT_FOUND),
  unsupportedType: (contentType: string) =>
    new AppError(
      ErrorCode.UNSUPPORTED_TYPE,
      `Content type "${safeEcho(contentType)}" is not allowed by the upload policy`,
      HttpStatus.BAD_REQUEST,
    ),
  fileTooLarge: (size: number, max: number) =>
    new AppError(
      ErrorCode.FILE_TOO_LARGE,
      `Declared size ${size} bytes exceeds the limit of ${max} bytes`,
      HttpStatus.PAYLOAD_TOO_LARGE,
    ),
  objectNotUploaded: () =>
    new AppError(
      ErrorCode.OBJECT_NOT_UPLOADED,
      'No object has been uploaded yet: PUT the bytes to the upload URL before completing',
      HttpStatus.CONFLICT,
    ),
  uploadExpired: () =>
    new AppError(ErrorCode.UPLOAD_EXPIRED, 'The upload window has expired; create a new upload', HttpStatus.GONE),
  invalidWebhookUrl: (reason: string, field = 'url') =>
    new AppError(ErrorCode.INVALID_WEBHOOK_URL, `${field} is not allowed: ${reason}`, HttpStatus.BAD_REQUEST),
  tokenNotPermitted: () =>
    new AppError(ErrorCode.TOKEN_NOT_PERMITTED, 'Upload tokens cannot make this call; use an API key', HttpStatus.FORBIDDEN),
  uploadTokenExhausted: () =>
    new AppError(
      ErrorCode.UPLOAD_TOKEN_EXHAUSTED,
      'This upload token has created as many uploads as it allows',
      HttpStatus.UNAUTHORIZED,
    ),
  typeNotAllowed: (contentType: string) =>
    new AppError(
      ErrorCode.TYPE_NOT_ALLOWED,
      `Content type "${safeEcho(contentType)}" is not allowed for this tenant or upload token`,
      HttpStatus.BAD_REQUEST,
    ),
  quotaExceeded: (quota: number) =>
    new AppError(
      ErrorCode.QUOTA_EXCEEDED,
      `This upload would take the tenant over its storage quota of ${quota} bytes`,
      HttpStatus.FORBIDDEN,
    ),
  rateLimited: (retryAfterSeconds: number, headers: Record<string, string> = {}) =>
    new AppError(ErrorCode.RATE_LIMITED, `Too many requests; retry after ${retryAfterSeconds} s`, HttpStatus.TOO_MANY_REQUESTS, {
      ...headers,
      'Retry-After': String(retryAfterSeconds),
    }),
  incompleteUpload: (missing: number[], wrongSize: number[]) =>
    new AppError(
      ErrorCode.INCOMPLETE_UPLOAD,
      [
        missing.length ? `missing parts: ${listParts(missing)}` : '',
        wrongSize.length ? `parts of the wrong size: ${listParts(wrongSize)}` : '',
      ]
        .filter(Boolean)
        .join('; '),
      HttpStatus.BAD_REQUEST,
    ),
  uploadStateConflict: (message: string) => new AppError(ErrorCode.UPLOAD_STATE_CONFLICT, message, HttpStatus.CONFLICT),
  tenantNotFound: () => new AppError(ErrorCode.TENANT_NOT_FOUND, 'Tenant not found', HttpStatus.NOT_FOUND),
  apiKeyNotFound: () => new AppError(ErrorCode.API_KEY_NOT_FOUND, 'API key not found', HttpStatus.NOT_FOUND),
  uploadTokenNotFound: () =>
    new AppError(ErrorCode.UPLOAD_TOKEN_NOT_FOUND, 'Upload token not found or already expired', HttpStatus.NOT_FOUND),
  webhookEndpointNotFound: () =>
    new AppError(ErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND, 'Webhook endpoint not found', HttpStatus.NOT_FOUND),
  webhookDeliveryNotFound: () =>
    new AppError(ErrorCode.WEBHOOK_DELIVERY_NOT_FOUND, 'Webhook delivery not found', HttpStatus.NOT_FOUND),
  tooManyWebhookEndpoints: (max: number) =>
    new AppError(
      ErrorCode.TOO_MANY_WEBHOOK_ENDPOINTS,
      `A tenant may have at most ${max} webhook endpoints; delete one first`,
      HttpStatus.CONFLICT,
    ),
  invalidLink: () =>
    new AppError(
      ErrorCode.INVALID_LINK,
      'This link is not valid or has expired; fetch the upload again for fresh links',
      HttpStatus.FORBIDDEN,
    ),
  webhookReplayInProgress: () =>
    new AppError(
      ErrorCode.WEBHOOK_REPLAY_IN_PROGRESS,
      'A replay of this delivery is still running; try again once its attempt is in the log',
      HttpStatus.CONFLICT,
    ),
  webhookEndpointDisabled: () =>
    new AppError(
      ErrorCode.WEBHOOK_ENDPOINT_DISABLED,
      'The delivery\'s endpoint is disabled; enable it before replaying',
      HttpStatus.CONFLICT,
    ),
  notRetryable: (why: string) => new AppError(ErrorCode.NOT_RETRYABLE, `This upload cannot be retried: ${why}`, HttpStatus.CONFLICT),
  notReprocessable: (why: string) =>
    new AppError(ErrorCode.NOT_REPROCESSABLE, `This upload cannot be reprocessed: ${why}`, HttpStatus.CONFLICT),
  /** Names the dependency from a fixed list, never from the error that revealed the outage. */
  dependencyUnavailable: (what: Dependency) =>
    new AppError(
      ErrorCode.DEPENDENCY_UNAVAILABLE,
      `${DEPENDENCY_NAMES[what]} is unavailable, try again shortly`,
      HttpStatus.SERVICE_UNAVAILABLE,
    ),
};
