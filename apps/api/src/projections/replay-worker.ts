/**
 * A thread of a parallel replay (parallel-replay.ts): projects the events of one share of the streams,
 * range by range as the coordinator asks, and answers each range's writes, prepared for its one writer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readModelViews } from '@wfnet/projections';
import { SqliteEventReader } from './sqlite-event-reader.js';
import type { ReplayReply, ReplayRequest, ReplayWorkerData } from './parallel-replay.js';
import { Projector } from './projector.js';
import type { ProjectedWrite } from './projector.js';
import { prepareWrite, SqliteDocumentReader } from './sqlite-read-store.js';
import type { PreparedWrites } from './sqlite-read-store.js';

const { eventsFile, readModelsFile, share, shares, tables, cacheSize } = workerData as ReplayWorkerData;
const port = parentPort;
if (port === null) throw new Error('replay-worker.js runs as a worker thread of a parallel replay');

const events = new SqliteEventReader(eventsFile);
const documents = new SqliteDocumentReader(readModelsFile);
const specs = new Map(tables.map((spec) => [spec.name, spec]));
/**
 * Documents answered to the writer but not yet committed, by table and id: the store cannot give them
 * yet, and the cache may have let them go. `uncommitted` keeps each range's writes until it commits.
 */
const inFlight = new Map<string, Map<string, ProjectedWrite>>();
const uncommitted: { readonly upTo: bigint; readonly writes: readonly ProjectedWrite[] }[] = [];
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
    docs.set(write.doc.id, write);
    const spec = specs.get(write.table);
    if (!spec) throw new Error(`no read-model table ${write.table}`);
    prepareWrite(writes, spec, write);
  }
  uncommitted.push({ upTo, writes: projected });
  return { type: 'projected', upTo, events: recorded.length, writes, at, starts };
}

function committed(upTo: bigint): void {
  while (uncommitted[0] !== undefined && uncommitted[0].upTo <= upTo) {
    for (const write of uncommitted[0].writes) {
      const docs = inFlight.get(write.table);
      // A later range may have written the document again: that version stays until it commits.
      if (docs?.get(write.doc.id) === write) docs.delete(write.doc.id);
    }
    uncommitted.shift();
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
