import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../apps/api/src/config/config.js';
import { createApp } from '../../apps/api/src/main.js';
import type { Client } from './client.js';
import { createClient } from './client.js';

export type StoreKind = 'memory' | 'sqlite';

/** Every e2e scenario runs against each of these event stores. */
export const STORE_KINDS: readonly StoreKind[] = ['memory', 'sqlite'];

export interface Service {
  readonly url: string;
  /** A client without a key. */
  readonly api: Client;
  /** The folder of the SQLite file, for a restart on the same store. */
  readonly dir: string | undefined;
  /** Closes the app; `keepFiles` leaves the SQLite folder for a restart. */
  stop(options?: { keepFiles?: boolean }): Promise<void>;
}

export interface StartOptions {
  /** More environment, e.g. `WFNET_API_KEYS`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Reopens the SQLite store in this folder instead of a fresh one. */
  readonly dir?: string;
}

/** The whole app on an ephemeral loopback port, on a memory store or a SQLite file in a temp folder. */
export async function startService(store: StoreKind, options: StartOptions = {}): Promise<Service> {
  const dir = store === 'sqlite' ? (options.dir ?? mkdtempSync(join(tmpdir(), 'wfnet-e2e-'))) : undefined;
  const config = loadConfig({
    WFNET_EVENT_STORE: dir === undefined ? 'memory' : `sqlite:${join(dir, 'wfnet.db')}`,
    ...options.env,
  });
  const app = await createApp({ config });
  app.useLogger(['error']);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') throw new Error('the app is not on a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    api: createClient(url),
    dir,
    async stop({ keepFiles = false } = {}) {
      await app.close();
      if (dir !== undefined && !keepFiles) rmSync(dir, { recursive: true, force: true });
    },
  };
}
