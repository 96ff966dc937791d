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
  /** A tenant's webhookUrl is not http(s), carries credentials, or points at a non-public address. */
  INVALID_WEBHOOK_URL = 'INVALID_WEBHOOK_URL',
  INTERNAL = 'INTERNAL',
  /** A field has the right type but unsafe or malformed content (filename, content type), or the body cannot be read. */
  INVALID_REQUEST = 'INVALID_REQUEST',

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
  invalidWebhookUrl: (reason: string) =>
    new AppError(ErrorCode.INVALID_WEBHOOK_URL, `webhookUrl is not allowed: ${reason}`, HttpStatus.BAD_REQUEST),
  /** Names the dependency from a fixed list, never from the error that revealed the outage. */
  dependencyUnavailable: (what: Dependency) =>
    new AppError(
      ErrorCode.DEPENDENCY_UNAVAILABLE,
      `${DEPENDENCY_NAMES[what]} is unavailable, try again shortly`,
      HttpStatus.SERVICE_UNAVAILABLE,
    ),
};
