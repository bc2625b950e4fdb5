import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Config } from '../config/config.js';
import { CONFIG } from '../tokens.js';
import { Callers } from './caller.js';
import { HttpError } from './error.filter.js';

const EXEMPT = 'wfnet:no-rate-limit';

/** Provides the guard's clock (milliseconds). */
export const RATE_LIMIT_CLOCK = Symbol('wfnet:rate-limit-clock');

/** Never counted against the rate limit (probes and scrapers). */
export const NoRateLimit = () => SetMetadata(EXEMPT, true);

interface Window {
  count: number;
  readonly endsAt: number;
}

/**
 * `WFNET_RATE_LIMIT`: at most `limit` requests per fixed window per caller (see `Callers`). Our own guard
 * rather than @nestjs/throttler: that package is CommonJS requiring the ESM-only @nestjs/common, which jest
 * cannot load on Node 20.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly windows = new Map<string, Window>();
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly reflector: Reflector,
    @Inject(RATE_LIMIT_CLOCK) private readonly now: () => number,
    @Inject(Callers) private readonly callers: Callers,
  ) {
    this.limit = config.rateLimit?.limit ?? Number.POSITIVE_INFINITY;
    this.windowMs = (config.rateLimit?.windowSeconds ?? 1) * 1000;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(EXEMPT, [context.getHandler(), context.getClass()])) {
      return true;
    }
    const http = context.switchToHttp();
    const { tracker } = await this.callers.identify(http.getRequest<Request>());
    const now = this.now();
    let window = this.windows.get(tracker);
    if (!window || window.endsAt <= now) {
      this.sweep(now);
      window = { count: 0, endsAt: now + this.windowMs };
      this.windows.set(tracker, window);
    }
    window.count += 1;
    if (window.count <= this.limit) return true;
    const retryAfter = Math.max(1, Math.ceil((window.endsAt - now) / 1000));
    http.getResponse<Response>().setHeader('retry-after', String(retryAfter));
    throw new HttpError(
      429,
      'rate_limited',
      `more than ${this.limit} requests in ${this.windowMs / 1000} s; retry after ${retryAfter} s`,
    );
  }

  /** Drops ended windows once the table is large, so that many addresses cannot grow it without bound. */
  private sweep(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [tracker, window] of this.windows) if (window.endsAt <= now) this.windows.delete(tracker);
  }
}
