import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtService } from '../tools/built-service.js';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnedService {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  output(): string;
}

export interface Service extends SpawnedService {
  readonly base: string;
}

/** Every child still running, so that a failed test or an interrupted soak leaves none behind. */
const children = new Set<ChildProcess>();

export function killServices(): void {
  for (const child of children) child.kill('SIGKILL');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment of a child: ours without any wfnet setting, plus `settings`. */
function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('WFNET_')) delete env[name];
  delete env['PORT'];
  delete env['HOST'];
  return { ...env, ...settings };
}

export function spawnService(settings: Record<string, string>): SpawnedService {
  const child = spawn(process.execPath, [builtService()], {
    env: childEnv(settings),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  children.add(child);
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, exited, output: () => output };
}

/**
 * Starts the built service on the SQLite `file`, on a free port, with more `settings` if given, and waits
 * until `/health` answers 200.
 */
export function startService(
  file: string,
  timeoutMs = 20_000,
  settings: Readonly<Record<string, string>> = {},
): Promise<Service> {
  return startServiceWith({ ...settings, WFNET_EVENT_STORE: `sqlite:${file}` }, timeoutMs);
}

/**
 * Starts the built service with `settings` (which name its store), on a free port, and waits until
 * `/health` answers 200.
 */
export async function startServiceWith(
  settings: Readonly<Record<string, string>>,
  timeoutMs = 20_000,
): Promise<Service> {
  const port = await freePort();
  const started = spawnService({
    ...settings,
    PORT: String(port),
    HOST: '127.0.0.1',
    // The matrix's webhook listens on loopback, which a webhook may only reach when allowed.
    WFNET_WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32',
  });
  const service = { ...started, base: `http://127.0.0.1:${port}` };
  let gone = false;
  void started.exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`the service exited while starting:\n${started.output()}`);
    try {
      if ((await fetch(`${service.base}/health`)).status === 200) return service;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      started.child.kill('SIGKILL');
      throw new Error(`the service did not start within ${timeoutMs} ms:\n${started.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface Answer {
  readonly status: number;
  /** The JSON body, as the contract shapes it. */
  readonly body: unknown;
}

/** One request; throws when the connection fails (the service is gone) or nothing answers in `timeoutMs`. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}
