import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Role } from '../config/config.js';

/** Who a request acts as: from its API key (`key:role:user:groups`) or its bearer JWT. */
export interface Identity {
  readonly user: string;
  readonly role: Role;
  readonly groups: readonly string[];
}

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
