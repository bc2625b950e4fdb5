import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch, HttpException, Logger } from '@nestjs/common';
import {
  ConcurrencyError,
  IllegalStateError,
  NotFoundError,
  NotPermittedError,
  StoreUnavailableError,
  ValidationError,
} from '@wfnet/domain';
import type { Request, Response } from 'express';
import { requestIdOf } from './request-id.js';
import { ProjectionLaggingError } from '../projections/read-model-runner.js';

export interface ErrorBody {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

/** An error the HTTP layer raises itself, with the contract's code. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const CODE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'not_found',
  413: 'payload_too_large',
  415: 'validation_failed',
  429: 'rate_limited',
  503: 'store_unavailable',
};

/** Express body-parser failures reach the filter as errors carrying `type` and `status`. */
function bodyParserError(error: unknown): ErrorBody | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  const { type } = error;
  if (type === 'entity.too.large') {
    return { statusCode: 413, code: 'payload_too_large', message: 'the request body is over 1 MiB' };
  }
  if (type === 'entity.parse.failed') {
    return { statusCode: 400, code: 'validation_failed', message: 'the request body is not valid JSON' };
  }
  if (
    (typeof type === 'string' && type.startsWith('entity.')) ||
    type === 'charset.unsupported' ||
    type === 'encoding.unsupported'
  ) {
    return { statusCode: 400, code: 'validation_failed', message: 'the request body cannot be read' };
  }
  return undefined;
}

/** Maps every error to the contract's `{statusCode, code, message}`; nothing internal leaks out. */
export function errorBody(error: unknown): ErrorBody {
  if (error instanceof ValidationError) {
    return { statusCode: 400, code: error.code, message: error.message, details: error.details };
  }
  if (error instanceof NotFoundError) return { statusCode: 404, code: 'not_found', message: error.message };
  if (error instanceof IllegalStateError)
    return { statusCode: 409, code: error.code, message: error.message };
  if (error instanceof NotPermittedError)
    return { statusCode: 403, code: error.code, message: error.message };
  if (error instanceof ConcurrencyError) {
    return { statusCode: 409, code: 'concurrency_conflict', message: `${error.message}; retry the request` };
  }
  if (error instanceof ProjectionLaggingError) {
    return { statusCode: 503, code: 'projection_lagging', message: error.message };
  }
  if (error instanceof StoreUnavailableError) {
    return { statusCode: 503, code: 'store_unavailable', message: 'the event store is unavailable' };
  }
  if (error instanceof HttpError) {
    return {
      statusCode: error.statusCode,
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  const parserError = bodyParserError(error);
  if (parserError) return parserError;
  if (error instanceof HttpException) {
    const statusCode = error.getStatus();
    const code = CODE_OF_STATUS[statusCode] ?? (statusCode >= 500 ? 'internal_error' : 'bad_request');
    const message = statusCode === 404 ? 'no such route' : error.message;
    return { statusCode, code, message };
  }
  return { statusCode: 500, code: 'internal_error', message: 'internal error' };
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const requestId = requestIdOf(http.getRequest<Request>());
    const body = { ...errorBody(error), ...(requestId !== undefined && { requestId }) };
    // An expected refusal (503 lagging) is an answer, not a fault: a warning. A store that cannot be used
    // is an error whose reason only the log tells (the answer does not), and the unforeseen is an error
    // with its stack. Fields, not a string: the JSON line carries `requestId` as such.
    if (error instanceof StoreUnavailableError) {
      const cause = (error.cause as { code?: unknown } | undefined)?.code;
      this.logger.error({
        requestId,
        code: body.code,
        msg: `${body.message}: ${error.message}`,
        err: { type: error.name, message: error.message, ...(typeof cause === 'string' && { code: cause }) },
      });
    } else if (body.code === 'internal_error') {
      this.logger.error({
        requestId,
        code: body.code,
        msg: error instanceof Error ? error.message : String(error),
        ...(error instanceof Error && {
          err: { type: error.name, message: error.message, stack: error.stack },
        }),
      });
    } else if (body.statusCode >= 500) {
      this.logger.warn({ requestId, code: body.code, msg: body.message });
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(body.statusCode).json(body);
  }
}
