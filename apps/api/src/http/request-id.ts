import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';

/** A caller's id is kept when it is short and plain (it goes into logs and headers verbatim). */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

export const REQUEST_ID_HEADER = 'x-request-id';

/** The request's id as the middleware set it; absent only on requests that bypassed it. */
export function requestIdOf(request: Request): string | undefined {
  const id = (request as Request & { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Gives every request an id: the caller's `x-request-id` when acceptable, else a fresh UUID. It is echoed
 * in the response header and read by the error filter (error bodies, log lines). Stored as `request.id`,
 * the field pino-http reads too.
 */
export function requestIds(request: Request, response: Response, next: NextFunction): void {
  const given = request.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
  (request as Request & { id: string }).id = id;
  response.setHeader(REQUEST_ID_HEADER, id);
  next();
}
