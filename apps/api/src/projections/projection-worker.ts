/**
 * The thread that keeps the read models up to date (projection-thread.ts): a `ProjectionRunner` over a
 * reading connection to the event store's file and a writing one to the read models' file, driven by the
 * requests of the service's main thread and woken by its commits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ProjectionThreadData, ThreadCall, ThreadReply, ThreadRequest } from './projection-thread.js';
import type { CatchUpProgress } from './read-model-runner.js';
import { ProjectionRunner } from './projection-runner.js';
import { SqliteEventReader } from './sqlite-event-reader.js';
import { SqliteReadStore } from './sqlite-read-store.js';

const { eventsFile, readModelsFile, runner: options } = workerData as ProjectionThreadData;
const port = parentPort;
if (port === null) throw new Error('projection-worker.js runs as the read models thread of the service');
const send = (reply: ThreadReply): void => port.postMessage(reply);

const events = new SqliteEventReader(eventsFile);
const readStore = SqliteReadStore.open(readModelsFile, { beside: true });
const state = (): ThreadReply => ({
  type: 'state',
  position: runner.position,
  following: runner.following,
  lastError: runner.lastError?.message,
});
const runner: ProjectionRunner = new ProjectionRunner(events, readStore, {
  ...options,
  log: (line) => send({ type: 'log', line }),
  warn: (line) => {
    send({ type: 'warn', line });
    send(state());
  },
  onPosition: () => send(state()),
});

async function answer(request: ThreadCall & { readonly id: number }): Promise<unknown> {
  const progress = (p: CatchUpProgress): void => send({ type: 'progress', id: request.id, progress: p });
  switch (request.type) {
    case 'start':
      return runner.start(progress);
    case 'rebuild':
      return runner.rebuild(progress);
    case 'save':
      return readStore.save(request.followerId, request.position);
    case 'stop':
      await runner.stop();
      readStore.close();
      events.close();
      return undefined;
  }
}

port.on('message', (request: ThreadRequest) => {
  if (request.type === 'committed') {
    events.committed();
    return;
  }
  answer(request).then(
    (result) => {
      send(state());
      send({ type: 'reply', id: request.id, result });
    },
    (error: unknown) =>
      send({ type: 'reply', id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
