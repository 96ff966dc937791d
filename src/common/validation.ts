import type { ValidationError } from 'class-validator';
import { AppError, ErrorCode, errors } from './errors';

/**
 * Options for a class-validator decorator whose failure means "present and well-typed, but unsafe
 * or malformed content": it is answered INVALID_REQUEST instead of VALIDATION_FAILED.
 */
export const INVALID_CONTENT = { context: { code: ErrorCode.INVALID_REQUEST } } as const;

/** A property name is the client's text too: only plain identifiers are repeated back. */
function propertyName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ? name : 'an unknown property';
}

function flatten(issues: ValidationError[]): ValidationError[] {
  return issues.flatMap((i) => [i, ...flatten(i.children ?? [])]);
}

/**
 * The ValidationPipe's exceptionFactory. Missing, mistyped or unknown fields are VALIDATION_FAILED
 * (they win when both kinds occur); otherwise content failures are INVALID_REQUEST. Messages are
 * the decorators' own, which never include the value; unknown property names are vetted.
 */
export function validationError(issues: ValidationError[]): AppError {
  const structural: string[] = [];
  const content: string[] = [];
  for (const issue of flatten(issues)) {
    for (const [constraint, message] of Object.entries(issue.constraints ?? {})) {
      if (constraint === 'whitelistValidation') {
        structural.push(`property ${propertyName(issue.property)} should not exist`);
      } else if (issue.contexts?.[constraint]?.code === ErrorCode.INVALID_REQUEST) {
        content.push(message);
      } else {
        structural.push(message);
      }
    }
  }
  if (structural.length) return errors.validation(structural.join('; '));
  if (content.length) return errors.invalidRequest(content.join('; '));
  return errors.validation('Invalid request');
}
