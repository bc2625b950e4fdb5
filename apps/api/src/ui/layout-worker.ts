import type { ElkNode } from 'elkjs/lib/elk.bundled.js';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * ELK runs synchronously once started: a net of a few hundred transitions takes a second or more
 * (measured: 0.8 s for 150, 1.6 s for 450 on our machines), which would stall every request of the
 * service. So it runs on one worker thread of its own, started on first use.
 */
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const ELK = require(workerData.elk);
const elk = new ELK();
parentPort.on('message', ({ id, graph }) => {
  elk.layout(graph).then(
    (result) => parentPort.postMessage({ id, result }),
    (error) => parentPort.postMessage({ id, error: String((error && error.message) || error) }),
  );
});
`;

interface Pending {
  resolve(graph: ElkNode): void;
  reject(error: Error): void;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(error: Error): void {
  for (const request of pending.values()) request.reject(error);
  pending.clear();
  worker = undefined;
}

function started(): Worker {
  if (worker) return worker;
  const elk = createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js');
  const thread = new Worker(SCRIPT, { eval: true, workerData: { elk } });
  thread.on('message', (message: { id: number; result?: ElkNode; error?: string }) => {
    const request = pending.get(message.id);
    if (!request) return;
    pending.delete(message.id);
    if (pending.size === 0) thread.unref();
    if (message.result) request.resolve(message.result);
    else request.reject(new Error(`layout failed: ${message.error}`));
  });
  thread.on('error', (error) => failAll(error));
  thread.on('exit', (code) => failAll(new Error(`the layout worker stopped (exit code ${code})`)));
  worker = thread;
  return thread;
}

/** Lays a graph out with ELK on the layout thread. */
export function layoutOffThread(graph: ElkNode): Promise<ElkNode> {
  const thread = started();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    // Busy, the thread keeps the process alive; idle, it must not.
    if (pending.size === 0) thread.ref();
    pending.set(id, { resolve, reject });
    thread.postMessage({ id, graph });
  });
}

/** Stops the layout thread (it starts again on the next layout). */
export async function stopLayoutThread(): Promise<void> {
  const thread = worker;
  worker = undefined;
  if (thread) await thread.terminate();
}
