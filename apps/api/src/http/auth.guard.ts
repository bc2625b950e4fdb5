import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Config, Role } from '../config/config.js';
import { CONFIG } from '../tokens.js';
import { HttpError } from './error.filter.js';

const ROLES = 'wfnet:roles';
const PUBLIC = 'wfnet:public';

/** The roles allowed besides `admin`, which may do everything. GETs without it allow every role. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);
/** Needs no key at all (`GET /health`). */
export const Public = () => SetMetadata(PUBLIC, true);

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

/** Bearer keys from `WFNET_API_KEYS`, compared in constant time; with no keys configured, all is open. */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly keys: readonly { digest: Buffer; role: Role }[];

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly reflector: Reflector,
  ) {
    this.keys = [...config.apiKeys].map(([key, role]) => ({ digest: digest(key), role }));
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.keys.length === 0) return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const role = this.roleOf(request.headers.authorization);
    if (!role)
      throw new HttpError(401, 'unauthorized', 'a valid API key is required: Authorization: Bearer <key>');
    if (role === 'admin') return true;
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    const permitted = allowed
      ? allowed.includes(role)
      : request.method === 'GET' || request.method === 'HEAD';
    if (!permitted)
      throw new HttpError(403, 'forbidden', `the ${role} role may not ${request.method} ${request.path}`);
    return true;
  }

  private roleOf(header: string | undefined): Role | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
    if (!match) return undefined;
    const presented = digest(match[1]!.trim());
    let role: Role | undefined;
    // Every key is compared, so the time taken does not tell which one matched.
    for (const key of this.keys) if (timingSafeEqual(key.digest, presented)) role = key.role;
    return role;
  }
}
