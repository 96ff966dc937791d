import { z } from 'zod';
import { canonicalType } from '../uploads/upload-policy';
import { OUTPUT_NAMES } from '../../workflows/contract';

/** `type/subtype`, `type/*` or `*\/*`, lower case; compared against canonical (sniffed) types. */
const mimePattern = z
  .string()
  .max(255)
  .regex(/^(\*\/\*|[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*))$/, 'must be a MIME type or pattern like image/*');

export { OUTPUT_NAMES, type OutputName } from '../../workflows/contract';

/**
 * What an operator may set for a tenant. Every field is optional: an absent one means the
 * platform's default (config). Unknown fields are refused so a typo is not silently ignored.
 */
export const tenantPolicySchema = z
  .object({
    /** MIME patterns (`image/*`, `application/pdf`), judged on the canonical type at creation and on the sniffed type at verify. */
    allowedTypes: z.array(mimePattern).min(1).max(100).optional(),
    maxFileSize: z.number().int().positive().optional(),
    /** Stored sources and outputs of uploads not deleted, plus the declared size of uploads still awaiting bytes. */
    storageQuotaBytes: z.number().int().nonnegative().optional(),
    rateLimit: z
      .object({
        requests: z.number().int().min(1).max(1_000_000),
        windowSeconds: z.number().int().min(1).max(86_400),
      })
      .strict()
      .optional(),
    /** Which renditions the pipeline produces; absent: all of them. */
    outputs: z.array(z.enum(OUTPUT_NAMES)).max(OUTPUT_NAMES.length).optional(),
  })
  .strict();

export type TenantPolicy = z.infer<typeof tenantPolicySchema>;

export function matchesTypePattern(contentType: string, pattern: string): boolean {
  const type = canonicalType(contentType);
  if (pattern === '*/*') return true;
  if (pattern.endsWith('/*')) return type.startsWith(pattern.slice(0, -1));
  return type === canonicalType(pattern);
}

/** No patterns (null/undefined) means no restriction at this level. */
export function typeAllowedBy(contentType: string, patterns: readonly string[] | null | undefined): boolean {
  return !patterns || patterns.some((p) => matchesTypePattern(contentType, p));
}

/** The smallest of the limits that apply; undefined/null ones do not. */
export function smallestLimit(...limits: Array<number | null | undefined>): number {
  const set = limits.filter((l): l is number => typeof l === 'number');
  if (!set.length) throw new Error('at least one limit must apply');
  return Math.min(...set);
}
