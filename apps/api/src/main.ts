import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { WfnetOptions } from './app.module.js';
import { WfnetModule } from './app.module.js';
import type { Config } from './config/config.js';
import { authenticates, loadConfig } from './config/config.js';
import { isJsonBody, isXmlBody } from './http/content-type.guard.js';
import { REQUEST_ID_HEADER, requestIds } from './http/request-id.js';
import { requestOrigin } from './http/request-origin.js';
import { yieldAfterLargeBody } from './http/limits.js';
import { DtoValidationPipe } from './http/validation.pipe.js';
import { createLogging } from './logging/json-logger.js';
import { StartupError } from './startup-error.js';
import helmet from 'helmet';
import type { DestinationStream } from 'pino';

/** 1 MiB: larger bodies are refused with 413 `payload_too_large`. */
const BODY_LIMIT = 1024 * 1024;

export interface AppOptions extends WfnetOptions {
  /** Where the JSON log lines go (tests capture them here); stdout by default. */
  readonly logDestination?: DestinationStream;
  /**
   * Keep Nest's start-up lines, "successfully started" among them, until `app.flushLogs()` instead of
   * writing them at `init`, which comes before the port is bound: the service writes them once it is.
   */
  readonly holdStartLogs?: boolean;
}

/**
 * Builds the service on Express with the contract's validation, body limit, OpenAPI document and JSON logs
 * (Nest's logger, so every `new Logger(context)`, and one line per request; level `config.logLevel`).
 */
export async function createApp(options: AppOptions = {}): Promise<NestExpressApplication> {
  const { logDestination, holdStartLogs = false, ...wfnet } = options;
  const config = wfnet.config ?? loadConfig();
  const logging = createLogging(config.logLevel, logDestination);
  // Nest's start-up lines wait in its buffer until `listen` (or a first `app.useLogger`, such as the tests'
  // `app.useLogger(['error'])`), so they come out at the level finally chosen. A module that fails to
  // build rejects the promise rather than ending the process, so that the caller decides.
  const app = await NestFactory.create<NestExpressApplication>(WfnetModule.forRoot({ ...wfnet, config }), {
    bodyParser: false,
    logger: logging.logger,
    bufferLogs: true,
    autoFlushLogs: !holdStartLogs,
    abortOnError: false,
  });
  // Before the body parsers, so that their refusals (413, bad JSON) carry an id and the headers too, and
  // get their request line.
  app.use(requestIds);
  app.use(logging.requests);
  // No CSP from helmet: the UI page sets its own (with the hash of its module script), JSON needs none,
  // and a generic one would break the Swagger UI at /docs.
  app.use(helmet({ contentSecurityPolicy: false }));
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'accept', REQUEST_ID_HEADER],
      exposedHeaders: [REQUEST_ID_HEADER, 'link'],
      maxAge: 600,
    });
  }
  app.use(requestOrigin(config));
  // XML bodies (PNML for POST /workflows) arrive as text, JSON bodies parsed; any other body is left unread
  // and refused by the content-type guard.
  app.useBodyParser('text', { limit: BODY_LIMIT, type: isXmlBody });
  app.useBodyParser('json', { limit: BODY_LIMIT, type: isJsonBody });
  app.use(yieldAfterLargeBody);
  app.set('x-powered-by', false);
  boundConnections(app.getHttpServer(), config);
  app.useGlobalPipes(new DtoValidationPipe());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('wfnet')
      .setDescription('Workflow nets as a service')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

/** A client sending its request's headers slower than this loses its connection. */
const HEADERS_TIMEOUT_MS = 10_000;
/** A client sending its whole request (a body of at most 1 MiB) slower than this loses its connection. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Bounds what clients may hold: at most `WFNET_MAX_CONNECTIONS` connections at once (further ones are
 * closed as they come, before they cost more than a descriptor for an instant), and headers and requests
 * that take too long to arrive. Node checks the timeouts every `connectionsCheckingInterval` (30 s by
 * default), read when the server starts listening.
 */
function boundConnections(server: Server, config: Config): void {
  server.maxConnections = config.maxConnections;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1_000;
}

/**
 * On SIGTERM or SIGINT: stops intake, lets in-flight commands finish, closes the stores, and exits 0.
 * Connections still open after `graceMs` (a client trickling its headers, an event stream) are destroyed
 * then, so that a stop always ends and frees the store for the next process.
 */
export function closeOnSignals(app: INestApplication, logger: Logger, graceMs: number): void {
  let closing = false;
  // The HTTP server closes once every connection has; a keep-alive connection whose response ends after
  // the close began would otherwise idle until its timeout (seconds) before the process may exit.
  const server = app.getHttpServer() as Server;
  server.on('request', (_: IncomingMessage, response: ServerResponse) =>
    response.on('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    }),
  );
  const close = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: draining and closing`);
    server.closeIdleConnections();
    setTimeout(() => {
      logger.warn(`connections still open ${graceMs} ms after ${signal}: closing them`);
      server.closeAllConnections();
    }, graceMs).unref();
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => close('SIGTERM'));
  process.on('SIGINT', () => close('SIGINT'));
}

/** A refusal of `listen` the settings can fix, as a `StartupError`; anything else as it came. */
function listenError(error: unknown, { port, host }: Config): unknown {
  switch ((error as { code?: unknown }).code) {
    case 'EADDRINUSE':
      return new StartupError(`port ${port} on ${host} is in use by another process`, { cause: error });
    case 'EACCES':
      return new StartupError(`port ${port} on ${host} is not open to this user`, { cause: error });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartupError(`HOST=${host} is not an address of this machine`, { cause: error });
    default:
      return error;
  }
}

async function main(): Promise<void> {
  const logger = new Logger('wfnet');
  const config = loadConfig();
  const app = await createApp({ config, holdStartLogs: true });
  // After createApp: from there on, Nest's logger writes the JSON lines.
  if (!authenticates(config))
    logger.warn('neither WFNET_API_KEYS nor WFNET_JWT_ISSUER is set: every request is allowed without a key');
  closeOnSignals(app, logger, config.shutdownGraceMs);
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    // Closes the stores, releasing the store's lock; the failure to listen is what gets reported.
    await app.close().catch(() => undefined);
    throw listenError(error, config);
  }
  app.flushLogs();
  logger.log(
    `serving on http://${config.host}:${config.port} with the ${config.eventStoreLocation} event store`,
  );
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((error: unknown) => {
    // The held start-up lines stay unwritten: the one line says it all.
    if (error instanceof StartupError) {
      console.error(`wfnet: ${error.message}`);
      process.exit(2);
    }
    // A bug: the held lines come out, with the JSON line and stack Nest logged for a module that failed.
    Logger.flush();
    console.error(`wfnet: could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
