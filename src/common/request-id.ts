import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const HEADER = 'X-Request-Id';
/** A caller's own id is kept only if it is short and plain, so it is safe in logs and headers. */
const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Gives every request an id, echoed in X-Request-Id, that the log lines about its failure carry. */
export function assignRequestId(req: Request, res: Response, next: NextFunction): void {
  const given = req.get(HEADER);
  const id = given && SAFE_ID.test(given) ? given : randomUUID();
  res.locals.requestId = id;
  res.setHeader(HEADER, id);
  next();
}

export function requestIdOf(res: Response): string | undefined {
  return typeof res.locals?.requestId === 'string' ? res.locals.requestId : undefined;
}
