import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Role } from '../config/config.js';
import { Callers } from './caller.js';
import { HttpError } from './error.filter.js';
import { setIdentity } from './identity.js';

const ROLES = 'wfnet:roles';
const PUBLIC = 'wfnet:public';

/** The roles allowed besides `admin`, which may do everything. GETs without it allow every role. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);
/** Needs no credential at all (`GET /health`). */
export const Public = () => SetMetadata(PUBLIC, true);

/**
 * Sets `request.identity` from the bearer API key or JWT (see `Callers`), or answers 401; then checks the
 * identity's role against the handler's `@Roles`. With no keys and no JWTs configured, all is open.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Callers) private readonly callers: Callers,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const credential = await this.callers.identify(request);
    if ('refusal' in credential) throw new HttpError(401, 'unauthorized', credential.refusal);
    const { role } = credential.identity;
    setIdentity(request, credential.identity);
    if (role === 'admin') return true;
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    const permitted = allowed
      ? allowed.includes(role)
      : request.method === 'GET' || request.method === 'HEAD';
    if (!permitted)
      throw new HttpError(403, 'forbidden', `the ${role} role may not ${request.method} ${request.path}`);
    return true;
  }
}
