import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { ValidationError } from '@wfnet/domain';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { PnmlError, fromPnml } from './pnml.js';

/**
 * Turns a PNML body (an XML body arrives as text, see `main.ts`) into the JSON body of `POST /workflows`
 * before the validation pipe sees it, so both forms are checked alike. Interceptors run before pipes.
 * `?allowUnsound=true` does what the body field does, since a PNML body has no place for it.
 */
@Injectable()
export class PnmlBodyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    if (typeof request.body === 'string') {
      try {
        request.body = fromPnml(request.body);
      } catch (error) {
        if (!(error instanceof PnmlError)) throw error;
        throw new ValidationError('validation_failed', `the PNML body cannot be read: ${error.message}`, [
          { path: error.path, message: error.message },
        ]);
      }
    }
    if (
      request.query['allowUnsound'] === 'true' &&
      typeof request.body === 'object' &&
      request.body !== null
    ) {
      request.body = { ...(request.body as object), allowUnsound: true };
    }
    return next.handle();
  }
}
