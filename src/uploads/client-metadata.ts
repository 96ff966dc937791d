import { ValidateBy } from 'class-validator';
import { INVALID_CONTENT } from '../common/validation';

/** Free-form key/value strings a tenant attaches to uploads (tus metadata, Uppy's `metadata[k]`). */
export type ClientMetadata = Record<string, string>;

export const CLIENT_METADATA_LIMITS = { keys: 32, keyChars: 64, valueChars: 1024 } as const;

const KEY = /^[A-Za-z0-9_.:-]{1,64}$/;
// Values are echoed in views and webhooks: no control characters (see filenameProblem for why).
const FORBIDDEN_IN_VALUE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Why a metadata object is refused, or null. Never repeats keys or values. */
export function clientMetadataProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'metadata must be an object of strings';
  const entries = Object.entries(value);
  if (entries.length > CLIENT_METADATA_LIMITS.keys) return `metadata may hold at most ${CLIENT_METADATA_LIMITS.keys} keys`;
  for (const [k, v] of entries) {
    if (!KEY.test(k)) return 'metadata keys must be 1-64 characters of A-Z a-z 0-9 _ . : -';
    if (typeof v !== 'string') return 'metadata values must be strings';
    if (v.length > CLIENT_METADATA_LIMITS.valueChars) return `metadata values must be at most ${CLIENT_METADATA_LIMITS.valueChars} characters`;
    if (FORBIDDEN_IN_VALUE.test(v)) return 'metadata values must not contain control or bidirectional-override characters';
  }
  return null;
}

export function IsClientMetadata(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'clientMetadata',
      validator: {
        validate: (value: unknown) => clientMetadataProblem(value) === null,
        defaultMessage: (args) => clientMetadataProblem(args?.value) ?? 'metadata is invalid',
      },
    },
    INVALID_CONTENT,
  );
}

/** The token's metadata is set by the tenant's backend, so it wins over what the client sent. */
export function mergeClientMetadata(fromClient: ClientMetadata | undefined, fromToken: ClientMetadata | null | undefined): ClientMetadata | null {
  const merged = { ...(fromClient ?? {}), ...(fromToken ?? {}) };
  return Object.keys(merged).length ? merged : null;
}
