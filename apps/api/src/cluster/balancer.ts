import { request as httpRequest, createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A round-robin HTTP load balancer in front of api processes on one machine, for trying a cluster. */
export interface Balancer {
  /** Where it listens, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  close(): Promise<void>;
}

/** How long a process that refused a connection is passed over. */
const REFUSED_PAUSE_MS = 1000;
/** The largest body it holds to send on to another process; the processes apply their own, smaller limit. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Sends each request to the next process in turn. A request whose connection a process refused (it is
 * down or restarting) goes to the next one: it never reached a process, so sending it again cannot apply it
 * twice. Any other failure answers `502` — the request may have been applied, and only the client can
 * tell whether to send it again. Answers stream through, Server-Sent Events included.
 */
export async function startBalancer(
  backends: readonly string[],
  port: number,
  host = '127.0.0.1',
): Promise<Balancer> {
  if (backends.length === 0) throw new Error('a balancer needs at least one process behind it');
  const pausedUntil = new Map<string, number>();
  let next = 0;

  const order = (): string[] => {
    const start = next++ % backends.length;
    const turn = [...backends.slice(start), ...backends.slice(0, start)];
    const now = Date.now();
    const up = turn.filter((backend) => (pausedUntil.get(backend) ?? 0) <= now);
    return [...up, ...turn.filter((backend) => !up.includes(backend))];
  };

  const server = createServer((incoming, outgoing) => {
    void readBody(incoming).then(
      (body) => forward(incoming, outgoing, body, order()),
      () => answer(outgoing, 413, 'payload_too_large', 'the body is larger than the balancer holds'),
    );
  });

  function forward(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    body: Buffer,
    candidates: string[],
  ): void {
    const backend = candidates.shift();
    if (backend === undefined) {
      answer(outgoing, 502, 'no_process_available', 'no api process accepted the connection');
      return;
    }
    const target = new URL(incoming.url ?? '/', backend);
    const proxied = httpRequest(
      target,
      {
        method: incoming.method,
        headers: {
          ...incoming.headers,
          'x-forwarded-for': incoming.socket.remoteAddress ?? '',
          'content-length': String(body.length),
        },
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
        outgoing.on('close', () => response.destroy());
      },
    );
    proxied.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') {
        pausedUntil.set(backend, Date.now() + REFUSED_PAUSE_MS);
        forward(incoming, outgoing, body, candidates);
      } else if (!outgoing.headersSent) {
        answer(outgoing, 502, 'process_failed', `the api process at ${backend} failed: ${error.message}`);
      } else {
        outgoing.destroy();
      }
    });
    proxied.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function answer(outgoing: ServerResponse, status: number, code: string, message: string): void {
  outgoing.writeHead(status, { 'content-type': 'application/json' });
  outgoing.end(JSON.stringify({ statusCode: status, code, message }));
}
