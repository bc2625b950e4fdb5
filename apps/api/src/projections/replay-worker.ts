/**
 * A thread of a parallel replay (parallel-replay.ts): projects the events of one share of the streams,
 * range by range as the coordinator asks, and answers each range's writes, prepared for its one writer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Document } from '@wfnet/projections';
import { readModelViews } from '@wfnet/projections';
import { SqliteEventReader } from '../event-store/sqlite-event-store.js';
import type { ReplayReply, ReplayRequest, ReplayWorkerData } from './parallel-replay.js';
import { Projector } from './projector.js';
import { prepareWrite, SqliteDocumentReader } from './sqlite-read-store.js';
import type { PreparedWrites } from './sqlite-read-store.js';

const { eventsFile, readModelsFile, share, shares, tables, cacheSize } = workerData as ReplayWorkerData;
const port = parentPort;
if (port === null) throw new Error('replay-worker.js runs as a worker thread of a parallel replay');

const events = new SqliteEventReader(eventsFile);
const documents = new SqliteDocumentReader(readModelsFile);
const specs = new Map(tables.map((spec) => [spec.name, spec]));
/**
 * Documents answered to the writer but not yet committed, by table, with the range that carried them:
 * the store cannot give them yet, and the cache may have let them go.
 */
const inFlight = new Map<string, Map<string, { readonly doc: Document; readonly upTo: bigint }>>();
const projector = new Projector(
  readModelViews,
  (table, id) => inFlight.get(table)?.get(id)?.doc ?? documents.get(table, id),
  cacheSize,
);

function project(after: bigint, upTo: bigint): Extract<ReplayReply, { type: 'projected' }> {
  const recorded = events.readShare(after, upTo, share, shares);
  const projected = projector.project(recorded, after, false);
  projector.remember(projected);
  const at = new BigInt64Array(projected.length);
  const starts = new Uint32Array(projected.length);
  const writes: PreparedWrites = [];
  for (const [i, write] of projected.entries()) {
    at[i] = write.at;
    starts[i] = writes.length;
    let docs = inFlight.get(write.table);
    if (!docs) {
      docs = new Map();
      inFlight.set(write.table, docs);
    }
    docs.set(write.doc.id, { doc: write.doc, upTo });
    const spec = specs.get(write.table);
    if (!spec) throw new Error(`no read-model table ${write.table}`);
    prepareWrite(writes, spec, write);
  }
  return { type: 'projected', upTo, events: recorded.length, writes, at, starts };
}

function committed(upTo: bigint): void {
  for (const docs of inFlight.values()) {
    for (const [id, entry] of docs) if (entry.upTo <= upTo) docs.delete(id);
  }
}

port.on('message', (request: ReplayRequest) => {
  try {
    if (request.type === 'committed') committed(request.upTo);
    else {
      const reply = project(request.after, request.upTo);
      port.postMessage(reply, [reply.at.buffer, reply.starts.buffer]);
    }
  } catch (error) {
    port.postMessage({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
    } satisfies ReplayReply);
  }
});
port.on('close', () => {
  events.close();
  documents.close();
});
