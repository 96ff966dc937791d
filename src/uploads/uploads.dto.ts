import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, ValidateBy } from 'class-validator';
import { ClientMetadata, IsClientMetadata } from './client-metadata';
import { INVALID_CONTENT } from '../common/validation';

export const MAX_FILENAME_BYTES = 255;

/**
 * Characters a filename may not hold. The name is shown back to tenants, put in webhooks, logs and
 * the Temporal memo, and will end up in Content-Disposition headers and file pickers, so:
 * C0 controls (NUL, CR, LF, ESC...), DEL and C1 controls (terminal and header injection, NEL is a
 * line break to some parsers); U+2028/U+2029 (line breaks to JavaScript and log viewers); bidi
 * embeddings, overrides, isolates and marks U+200E/F, U+061C, U+202A-E, U+2066-9 (they make
 * `invoice\u202Egpj.exe` display as `invoiceexe.jpg`). Ordinary Unicode text is fine.
 */
const FORBIDDEN_IN_FILENAME = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a filename is refused, or null when it is acceptable. Never repeats the name. */
export function filenameProblem(name: string): string | null {
  if (name.trim() === '') return 'filename must not be empty';
  // A lone surrogate (JSON allows "\ud800") has no UTF-8 encoding.
  if (LONE_SURROGATE.test(name)) return 'filename must be valid Unicode text';
  if (Buffer.byteLength(name, 'utf8') > MAX_FILENAME_BYTES) return `filename must be at most ${MAX_FILENAME_BYTES} bytes of UTF-8`;
  if (FORBIDDEN_IN_FILENAME.test(name)) return 'filename must not contain control, line-separator or bidirectional-override characters';
  return null;
}

/** RFC 9110 token characters; RFC 6838 caps type and subtype names at 127 characters each. */
const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,127}";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);

/**
 * Why a content type is refused, or null. It is signed into the presigned PUT exactly as given, so
 * it must be a bare `type/subtype`: no parameters (`; charset=...` would be signed but is not part
 * of what the policy checked), no whitespace, no CR/LF.
 */
export function contentTypeProblem(contentType: string): string | null {
  if (MEDIA_TYPE.test(contentType)) return null;
  return 'contentType must be a media type of the form type/subtype, without parameters or whitespace';
}

/** Turns a `...Problem` check into a class-validator decorator answered INVALID_REQUEST. */
function Satisfies(name: string, problem: (value: string) => string | null): PropertyDecorator {
  return ValidateBy(
    {
      name,
      // Non-strings are IsString's to report (VALIDATION_FAILED).
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || problem(value) === null,
        defaultMessage: (args) => (typeof args?.value === 'string' && problem(args.value)) || `${name} failed`,
      },
    },
    INVALID_CONTENT,
  );
}

/** Modes POST /v1/uploads offers (tus uploads are created through /v1/tus). */
export const REST_UPLOAD_MODES = ['put', 'post', 'multipart'] as const;
export type RestUploadMode = (typeof REST_UPLOAD_MODES)[number];

export class CreateUploadDto {
  @ApiProperty({ description: 'Shown back in views and webhooks; at most 255 bytes of UTF-8, no control or bidi characters.', example: 'beach.jpg' })
  @IsString()
  @Satisfies('safeFilename', filenameProblem)
  filename!: string;

  @ApiProperty({ description: 'A bare media type, `type/subtype`.', example: 'image/jpeg' })
  @IsString()
  @Satisfies('bareMediaType', contentTypeProblem)
  contentType!: string;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Bytes.', example: 2481152 })
  @IsInt()
  @Min(1, { message: 'size must be at least 1 byte' })
  size!: number;

  /** How long the upload URL (and the upload window) stays open; defaults to UPLOAD_URL_TTL_SECONDS. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 604_800 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(604_800)
  expiresInSeconds?: number;

  /** How the bytes will be sent: one presigned PUT (default), a browser form POST, or multipart. */
  @ApiPropertyOptional({ enum: REST_UPLOAD_MODES, description: 'Default: put.' })
  @IsOptional()
  @IsIn(REST_UPLOAD_MODES, { message: `mode must be one of ${REST_UPLOAD_MODES.join(', ')}` })
  mode?: RestUploadMode;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, maxProperties: 32, description: 'Key/value strings (keys 1-64 of A-Z a-z 0-9 _ . : -, values up to 1024 characters).', example: { userId: 'u_42' } })
  @IsOptional()
  @IsClientMetadata()
  metadata?: ClientMetadata;
}

/** How to send the bytes, per mode. */
export type UploadInstructions =
  | { method: 'PUT'; url: string; headers: Record<string, string> }
  /** A browser form: send `fields` (in order) then the file as the last field, `file`. */
  | { method: 'POST'; url: string; fields: Record<string, string> }
  /** Ask for part URLs with POST /v1/uploads/:id/parts. */
  | { method: 'MULTIPART'; partSize: number; partCount: number };

export interface CreatedUpload {
  id: string;
  status: 'awaiting_upload';
  upload: UploadInstructions;
  expiresAt: string;
}

export interface CompletedUpload {
  id: string;
  status: string;
}
