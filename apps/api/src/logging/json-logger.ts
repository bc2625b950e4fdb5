// Not nestjs-pino: its ESM build needs Node >= 22.12, one logger per process, no line for body-parser 400s.
import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import type { Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { DestinationStream, Level, Logger, LoggerOptions } from 'pino';
import { levels, stdSerializers, stdTimeFunctions } from 'pino';
import type { Options as HttpOptions } from 'pino-http';
import { pinoHttp } from 'pino-http';
import type { LogLevel } from '../config/config.js';

/** Nest's levels as pino's. */
const PINO_LEVEL: Readonly<Record<NestLogLevel, Level>> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/**
 * No line carries headers, but a secret must not get out through a later `log({ req })` or a logged header
 * object either: bearer API keys travel in `authorization`.
 */
const REDACTED = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'apiKey',
  'apiKeys',
];

/** Probes poll every few seconds: their request lines are debug, or they would drown the rest. */
const PROBES = new Set(['/health', '/metrics']);

/** The path without the query string. */
function pathOf(request: IncomingMessage): string {
  const url = (request as Partial<Request>).originalUrl ?? request.url ?? '';
  return url.split('?', 1)[0] ?? '';
}

function isStack(value: unknown): value is string {
  return typeof value === 'string' && /\n\s*at /.test(value);
}

/**
 * Nest's calling convention: the context is the last parameter when it is a string; `error` and `fatal`
 * take a stack (or `undefined`) before it.
 */
function parametersOf(
  params: readonly unknown[],
  takesStack: boolean,
): { context?: string; stack?: string; rest: readonly unknown[] } {
  if (takesStack && params.length === 1 && (params[0] === undefined || isStack(params[0]))) {
    return { ...(params[0] !== undefined && { stack: params[0] }), rest: [] };
  }
  const last = params.at(-1);
  const context = typeof last === 'string' ? last : undefined;
  let rest = context === undefined ? params : params.slice(0, -1);
  let stack: string | undefined;
  const beforeContext = rest.at(-1);
  if (
    takesStack &&
    context !== undefined &&
    rest.length > 0 &&
    (beforeContext === undefined || typeof beforeContext === 'string')
  ) {
    stack = beforeContext;
    rest = rest.slice(0, -1);
  }
  return { ...(context !== undefined && { context }), ...(stack !== undefined && { stack }), rest };
}

/** Nest's `LoggerService` writing pino's JSON lines: every `new Logger('engine')` of the app ends up here. */
export class JsonLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** `app.useLogger(['error'])` (the tests): the most verbose level named wins; none is `silent`. */
  setLogLevels(nestLevels: NestLogLevel[]): void {
    const values = nestLevels.map((level) => levels.values[PINO_LEVEL[level]] ?? Infinity);
    const lowest = Math.min(...values);
    this.root.level = levels.labels[lowest] ?? 'silent';
  }

  private write(level: Level, message: unknown, params: readonly unknown[]): void {
    if (!this.root.isLevelEnabled(level)) return;
    const { context, stack, rest } = parametersOf(params, level === 'error' || level === 'fatal');
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    let text: string | undefined;
    if (message instanceof Error) {
      fields['err'] = message;
      text = message.message;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(fields, message);
    } else {
      text = String(message);
    }
    if (stack !== undefined) fields['stack'] = stack;
    if (rest.length > 0) fields['params'] = rest;
    if (text === undefined) this.root[level](fields);
    else this.root[level](fields, text);
  }
}

export interface Logging {
  /** For `NestFactory.create(…, { logger })`. */
  readonly logger: JsonLogger;
  /** One line per request when its answer is sent (or the client went away), with the request's id. */
  readonly requests: RequestHandler;
}

/**
 * The app's logs: one pino logger writing JSON lines to `destination` (stdout by default), used by Nest's
 * logger and the request lines alike, so `app.useLogger([...])` governs both.
 */
export function createLogging(level: LogLevel, destination?: DestinationStream): Logging {
  const options: LoggerOptions = {
    level,
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED, censor: '[redacted]' },
    serializers: {
      err: stdSerializers.err,
      // What a request or response is in any line: never its headers.
      req: (request: IncomingMessage) => ({ method: request.method, url: pathOf(request) }),
      res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
    },
  };
  const line = (request: IncomingMessage, response: ServerResponse, facts: unknown) => ({
    context: 'http',
    method: request.method,
    url: pathOf(request),
    status: response.statusCode,
    responseTime: (facts as { responseTime?: number }).responseTime,
    ...(!response.writableEnded && { aborted: true }),
  });
  const message = (request: IncomingMessage, response: ServerResponse) =>
    `${request.method} ${pathOf(request)} ${response.statusCode}`;
  const httpOptions: HttpOptions<IncomingMessage, ServerResponse> = {
    ...options,
    wrapSerializers: false,
    // pino-http keeps the `request.id` the request-id middleware set (its X-Request-Id or a UUID) and
    // writes it as `requestId`; this fallback only serves a request that bypassed that middleware.
    genReqId: () => randomUUID(),
    customAttributeKeys: { reqId: 'requestId' },
    quietReqLogger: true,
    quietResLogger: true,
    // A 5xx is warn: the error filter writes the fault itself (with its stack) at error.
    customLogLevel: (request, response, error) =>
      error !== undefined || response.statusCode >= 500
        ? 'warn'
        : PROBES.has(pathOf(request))
          ? 'debug'
          : 'info',
    customSuccessObject: line,
    customSuccessMessage: message,
    customErrorObject: (request, response, _error, facts) => line(request, response, facts),
    customErrorMessage: message,
  };
  const http = destination === undefined ? pinoHttp(httpOptions) : pinoHttp(httpOptions, destination);
  return {
    logger: new JsonLogger(http.logger),
    requests: (request: Request, response: Response, next) => http(request, response, next),
  };
}
