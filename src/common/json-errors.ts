import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppError, errors } from './errors';
import { requestIdOf } from './request-id';

/**
 * Express error middleware for body-parser failures, which Nest would otherwise turn into a
 * generic 400 (dropping the cause) or a 500. Their messages echo headers ("unsupported charset
 * \"X\""), so only the status and a catalogue message leave the API.
 */
export function rejectUnreadableBody(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    const e = err as { type?: unknown; status?: unknown } | null;
    if (typeof e?.type !== 'string' || typeof e.status !== 'number') return next(err);
    const error = bodyError(e.type, e.status);
    if (!error) return next(err);
    logger.info({ requestId: requestIdOf(res), type: e.type, status: e.status }, 'request body refused');
    res.status(error.status).json(error.toBody());
  };
}

function bodyError(type: string, status: number): AppError | null {
  if (type === 'entity.parse.failed') return errors.invalidJson();
  if (type === 'entity.too.large') return errors.payloadTooLarge();
  // Unsupported charset or content encoding (415), a length that does not match the body (400).
  if (status >= 400 && status < 500) return errors.invalidRequest('The request body could not be read', status);
  return null;
}
