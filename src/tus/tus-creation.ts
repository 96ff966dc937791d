import { HttpStatus } from '@nestjs/common';
import { AppError, ErrorCode, errors } from '../common/errors';
import { ClientMetadata, clientMetadataProblem } from '../uploads/client-metadata';
import { contentTypeProblem, filenameProblem } from '../uploads/uploads.dto';

/** What a tus creation request asks of open(), before the mode and size are added. */
export interface TusCreation {
  filename: string;
  contentType: string;
  metadata?: ClientMetadata;
}

/**
 * Reads tus `Upload-Metadata` (already base64-decoded): `filename` and `filetype` are the upload's
 * name and type, checked as POST /v1/uploads checks them; every other key with a value becomes
 * client metadata, checked as REST metadata is (a bad key refuses the upload rather than being
 * dropped silently). Keys sent without a value (tus allows them; Uppy sends `relativePath` so) are
 * skipped.
 */
export function tusCreation(tusMetadata: Record<string, string | null> | undefined): TusCreation {
  const { filename, filetype, ...rest } = tusMetadata ?? {};
  if (typeof filename !== 'string') throw errors.invalidRequest('Upload-Metadata must carry filename');
  if (typeof filetype !== 'string') throw errors.invalidRequest('Upload-Metadata must carry filetype (the media type)');
  const problem = filenameProblem(filename) ?? contentTypeProblem(filetype)?.replace('contentType', 'filetype') ?? null;
  if (problem) throw errors.invalidRequest(problem);

  const extra = Object.fromEntries(Object.entries(rest).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  if (!Object.keys(extra).length) return { filename, contentType: filetype };
  const metadataProblem = clientMetadataProblem(extra);
  if (metadataProblem) throw errors.invalidRequest(metadataProblem.replace(/^metadata/, 'Upload-Metadata'));
  return { filename, contentType: filetype, metadata: extra };
}

/** Upload-Length as a number, null when deferred; an empty file is refused before anything is created. */
export function declaredLength(header: string | null): number | null {
  if (header === null) return null;
  const size = Number(header);
  if (size === 0) throw errors.validation('Upload-Length must be at least 1 byte: empty files are not accepted');
  return size;
}

/** The tus server's own refusals, as catalogue errors (their bodies are plain text). */
export function catalogueErrorFor(status: number, tusBody: string) {
  switch (status) {
    case 404:
      return errors.uploadNotFound();
    case 409:
      return errors.uploadStateConflict('Upload-Offset does not match the upload: HEAD it and resume from its offset');
    case 410:
      return errors.uploadExpired();
    case 412:
      return errors.invalidRequest('Tus-Resumable: 1.0.0 is required', HttpStatus.PRECONDITION_FAILED);
    case 413:
      return /Maximum size/i.test(tusBody)
        ? new AppError(ErrorCode.FILE_TOO_LARGE, 'The upload exceeds its size limit', HttpStatus.PAYLOAD_TOO_LARGE)
        : errors.invalidRequest('The body goes past the declared Upload-Length or the size limit', HttpStatus.PAYLOAD_TOO_LARGE);
    case 415:
      return errors.invalidRequest('PATCH bodies must be Content-Type: application/offset+octet-stream', HttpStatus.UNSUPPORTED_MEDIA_TYPE);
    default:
      if (status >= 500) return errors.internal();
      // 400 (bad or missing tus headers, metadata), 403 (no Upload-Offset / Content-Type), 501.
      return errors.invalidRequest(TUS_MESSAGES.find(([pattern]) => pattern.test(tusBody))?.[1] ?? 'The tus request is invalid', status);
  }
}

/** Fixed messages for the tus refusals a client can fix; the library's own text is never echoed. */
const TUS_MESSAGES: Array<[RegExp, string]> = [
  [/Upload-Length or Upload-Defer-Length/i, 'Exactly one of Upload-Length and Upload-Defer-Length is required'],
  [/Upload-Metadata is invalid/i, 'Upload-Metadata must be comma-separated "key base64value" pairs with unique keys'],
  [/Upload-Offset header required/i, 'Upload-Offset is required'],
  [/Content-Type header required/i, 'PATCH bodies must be Content-Type: application/offset+octet-stream'],
  [/Cannot terminate an already completed upload/i, 'A completed upload cannot be terminated'],
  [/Request aborted due to lock acquired/i, 'Another request took over this upload'],
  [/concatenation/i, 'Upload-Concat is not supported: disable parallel uploads in the tus client'],
  [/^Invalid /i, 'A tus header has an invalid value'],
];
