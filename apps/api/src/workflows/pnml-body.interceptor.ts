import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { from, mergeMap, type Observable } from 'rxjs';
import type { Config } from '../config/config.js';
import { CONFIG } from '../tokens.js';
import { readPnmlOffThread } from './verification.js';

/**
 * Turns a PNML body (an XML body arrives as text, see `main.ts`) into the JSON body of `POST /workflows`
 * before the validation pipe sees it, so both forms are checked alike. Interceptors run before pipes.
 * `?allowUnsound=true` does what the body field does, since a PNML body has no place for it.
 */
@Injectable()
export class PnmlBodyInterceptor implements NestInterceptor {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    return from(this.jsonBodyOf(request.body)).pipe(
      mergeMap((body) => {
        request.body =
          request.query['allowUnsound'] === 'true' && typeof body === 'object' && body !== null
            ? { ...body, allowUnsound: true }
            : body;
        return next.handle();
      }),
    );
  }

  private async jsonBodyOf(body: unknown): Promise<unknown> {
    if (typeof body !== 'string') return body;
    return readPnmlOffThread(body, this.config.maxBodyLayouts, this.config.verifyMaxHeapMb);
  }
}
