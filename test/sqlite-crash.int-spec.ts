import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '@wfnet/domain';
import { SqliteEventStore } from '../apps/api/src/event-store/sqlite-event-store.js';
import { checkBuilt, sqliteWriter } from './sqlite-tool.js';

const ROUNDS = 20;
const dir = mkdtempSync(join(tmpdir(), 'wfnet-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Intent {
  readonly stream: string;
  readonly batch: string;
  readonly ids: readonly string[];
}

/**
 * Starts the appending child, kills it with SIGKILL `delayMs` after its first acknowledged append (on a busy
 * machine the first commit may take longer than the delay), and answers what it printed.
 */
function appendThenKill(file: string, delayMs: number): Promise<{ intents: Intent[]; acked: Set<string> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [sqliteWriter, file, 'append-loop'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let killScheduled = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!killScheduled && out.includes('\nack ')) {
        killScheduled = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('close', (_, signal) => {
      if (signal !== 'SIGKILL')
        return reject(new Error(`the child ended without being killed: ${out.slice(0, 500)}`));
      const intents: Intent[] = [];
      const acked = new Set<string>();
      // The last line may have been cut by the kill: only whole lines count.
      for (const line of out.split('\n').slice(0, -1)) {
        if (line.startsWith('intent ')) intents.push(JSON.parse(line.slice(7)) as Intent);
        if (line.startsWith('ack ')) acked.add((JSON.parse(line.slice(4)) as { batch: string }).batch);
      }
      resolve({ intents, acked });
    });
  });
}

async function readEverything(store: SqliteEventStore): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (let page = await store.readAll({ maxCount: 5000 }); page.length > 0;) {
    all.push(...page);
    page = await store.readAll({ after: (page[page.length - 1] as RecordedEvent).position, maxCount: 5000 });
  }
  return all;
}

describe('the SQLite event store killed while appending', () => {
  it(`keeps every acknowledged append, tears none and reuses no position (${ROUNDS} SIGKILLs)`, async () => {
    checkBuilt();
    const file = join(dir, 'crash.db');
    const rounds: { acked: number; unacked: number; lost: number; torn: number; badPositions: number }[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const { intents, acked } = await appendThenKill(file, 50 + Math.floor(Math.random() * 450));

      const store = SqliteEventStore.open(file);
      const all = await readEverything(store);
      await store.close();

      const byId = new Map(all.map((e) => [e.id, e]));
      const present = (intent: Intent) =>
        intent.ids.filter((id) => byId.get(id)?.streamId === intent.stream).length;
      const lost = intents.filter((i) => acked.has(i.batch) && present(i) !== i.ids.length).length;
      const torn = intents.filter((i) => present(i) !== 0 && present(i) !== i.ids.length).length;
      const sizes = new Map<string, { size: number; count: number }>();
      for (const e of all) {
        const { batch, size } = e.metadata as { batch: string; size: number };
        const seen = sizes.get(batch) ?? { size, count: 0 };
        sizes.set(batch, { size, count: seen.count + 1 });
      }
      const tornInFile = [...sizes.values()].filter((s) => s.count !== s.size).length;
      const badPositions = all.filter(
        (e, i) => i > 0 && e.position <= (all[i - 1] as RecordedEvent).position,
      ).length;
      rounds.push({
        acked: acked.size,
        unacked: intents.length - acked.size,
        lost,
        torn: torn + tornInFile,
        badPositions,
      });
    }

    console.info(
      `SQLite crash test: ${rounds.filter((r) => r.lost + r.torn + r.badPositions === 0).length}/${ROUNDS} rounds clean; ` +
        `acknowledged appends per round: ${rounds.map((r) => r.acked).join(', ')}`,
    );
    expect(rounds.map((r) => [r.lost, r.torn, r.badPositions])).toEqual(rounds.map(() => [0, 0, 0]));
    // The kills must have landed while appends were in flight, or the test proves nothing.
    expect(rounds.every((r) => r.acked > 0 && r.unacked > 0)).toBe(true);
  }, 180_000);
});
