/**
 * A child process for the SQLite int tests.
 *   node sqlite-writer.js <file> open          opens the store, prints `opened` or `refused <message>`, exits
 *   node sqlite-writer.js <file> append-loop   appends forever from 8 concurrent writers; prints
 *                                              `intent <json>` before each append and `ack <json>` after it
 * stdout is a pipe, which Node writes synchronously on Linux: a printed `ack` was printed before the next step.
 */
import { v7 } from 'uuid';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';

const [file, mode] = process.argv.slice(2);
if (file === undefined || (mode !== 'open' && mode !== 'append-loop')) {
  console.error('usage: sqlite-writer.js <file> open|append-loop');
  process.exit(2);
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function appendLoop(store: SqliteEventStore, stream: string): Promise<never> {
  let expected: bigint | 'no_stream' = 'no_stream';
  for (let n = 0; ; n++) {
    const batch = v7();
    const size = 1 + (n % 7) * 3;
    const events = Array.from({ length: size }, (_, i) => ({
      id: v7(),
      type: 'Appended',
      data: { n, i, padding: 'p'.repeat(200) },
      metadata: { batch, size },
    }));
    print(`intent ${JSON.stringify({ stream, batch, ids: events.map((e) => e.id) })}`);
    const result = await store.append(stream, events, expected);
    print(`ack ${JSON.stringify({ stream, batch, nextRevision: result.nextRevision.toString() })}`);
    expected = result.nextRevision;
  }
}

if (mode === 'open') {
  try {
    const store = SqliteEventStore.open(file);
    print('opened');
    await store.close();
  } catch (error) {
    print(`refused ${(error as Error).message}`);
  }
} else {
  const store = SqliteEventStore.open(file);
  const run = v7();
  print('ready');
  await Promise.all(Array.from({ length: 8 }, (_, w) => appendLoop(store, `crash-${run}-${w}`)));
}
