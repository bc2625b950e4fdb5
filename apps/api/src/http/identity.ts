import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Identity } from '../config/config.js';

// Defined beside the roles and the API keys it is read from; handlers take it from here.
export type { Identity };

/** Every caller while no API keys or JWTs are configured. */
export const ANONYMOUS: Identity = { user: 'anonymous', role: 'admin', groups: [] };

/** Set on the request by the auth guard before any handler runs. */
export const identityOf = (request: Request): Identity =>
  (request as Request & { identity: Identity }).identity;

export const setIdentity = (request: Request, identity: Identity): void => {
  (request as Request & { identity: Identity }).identity = identity;
};

/** The caller's identity, for a handler's parameter. */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): Identity =>
  identityOf(context.switchToHttp().getRequest<Request>()),
);
