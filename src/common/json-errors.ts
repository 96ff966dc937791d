import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from './errors';

/** Express error middleware for body-parser failures: malformed or oversized JSON bodies. */
export function rejectMalformedJson(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  const type = (err as { type?: string } | null)?.type;
  if (type === 'entity.parse.failed') {
    res.status(400).json({ error: { code: ErrorCode.INVALID_JSON, message: 'Request body is not valid JSON' } });
  } else if (type === 'entity.too.large') {
    res.status(413).json({ error: { code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'Request body is too large' } });
  } else {
    next(err);
  }
}
