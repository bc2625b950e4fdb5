import type { ElkNode } from 'elkjs/lib/elk.bundled.js';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * ELK runs synchronously once started: a net of a few hundred transitions takes a second or more
 * (measured: 0.8 s for 150, 1.6 s for 450 on our machines), which would stall every request of the
 * service. So it runs on one worker thread of its own, started on first use. A dense net can keep ELK
 * busy for many minutes and gigabytes, so each layout is bounded in time and the thread in memory: past
 * either, the thread is terminated and the next layout gets a fresh one.
 */
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const ELK = require(workerData.elk);
const elk = new ELK();
// ELK's first layout in a thread is slow, whatever the graph: warm it on a tiny one before timing any.
elk
  .layout({
    id: 'warm-up',
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.edgeRouting': 'ORTHOGONAL' },
    children: [{ id: 'a', width: 10, height: 10 }, { id: 'b', width: 10, height: 10 }],
    edges: [{ id: 'e', sources: ['a'], targets: ['b'] }],
  })
  .finally(() => parentPort.postMessage({ ready: true }));
parentPort.on('message', (graph) => {
  elk.layout(graph).then(
    (result) => parentPort.postMessage({ result }),
    (error) => parentPort.postMessage({ error: String((error && error.message) || error) }),
  );
});
`;

export interface LayoutLimits {
  /** How long one layout may run on the thread. */
  readonly timeoutMs: number;
  /** The thread's old-generation heap. */
  readonly maxHeapMb: number;
}

export const DEFAULT_LAYOUT_LIMITS: LayoutLimits = { timeoutMs: 5_000, maxHeapMb: 512 };

export class LayoutAbortedError extends Error {
  override readonly name = 'LayoutAbortedError';
}

interface Job {
  readonly graph: ElkNode;
  readonly limits: LayoutLimits;
  resolve(graph: ElkNode): void;
  reject(error: Error): void;
}

interface Thread {
  readonly worker: Worker;
  readonly maxHeapMb: number;
  /** ELK is loaded: a job's time starts when it is handed to a ready thread, not while ELK loads. */
  ready: boolean;
}

/** Jobs run one at a time, so a job's time is its own and never spent waiting behind another. */
const queue: Job[] = [];
let idle: Thread | undefined;
let running: { readonly job: Job; readonly thread: Thread; timer?: NodeJS.Timeout } | undefined;

function startThread(maxHeapMb: number): Thread {
  const elk = createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js');
  const worker = new Worker(SCRIPT, {
    eval: true,
    workerData: { elk },
    resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
  });
  const thread: Thread = { worker, maxHeapMb, ready: false };
  worker.on('message', (message: { ready?: true; result?: ElkNode; error?: string }) => {
    if (message.ready) {
      thread.ready = true;
      if (running?.thread === thread) hand(running.job, thread);
      return;
    }
    if (running?.thread !== thread) return;
    finish(message.result ?? new Error(`layout failed: ${message.error}`), false);
  });
  // Out of memory, the thread reports an error and then exits: the first of the two ends the job.
  worker.on('error', (error) => {
    if (running?.thread === thread)
      finish(new LayoutAbortedError(`the layout thread failed: ${error.message}`), true);
  });
  worker.on('exit', (code) => {
    if (idle === thread) idle = undefined;
    if (running?.thread === thread) {
      finish(new LayoutAbortedError(`the layout thread stopped (exit code ${code})`), true);
    }
  });
  return thread;
}

function runNext(): void {
  if (running) return;
  const job = queue.shift();
  if (!job) return;
  let thread = idle;
  if (thread?.maxHeapMb !== job.limits.maxHeapMb) {
    if (thread) void thread.worker.terminate();
    thread = startThread(job.limits.maxHeapMb);
  }
  idle = undefined;
  // Busy, the thread keeps the process alive; idle, it must not.
  thread.worker.ref();
  running = { job, thread };
  if (thread.ready) hand(job, thread);
}

function hand(job: Job, thread: Thread): void {
  if (!running) return;
  running.timer = setTimeout(
    () => finish(new LayoutAbortedError(`the layout took longer than ${job.limits.timeoutMs} ms`), true),
    job.limits.timeoutMs,
  );
  thread.worker.postMessage(job.graph);
}

function finish(outcome: ElkNode | Error, discardThread: boolean): void {
  if (!running) return;
  const { job, thread, timer } = running;
  running = undefined;
  clearTimeout(timer);
  if (discardThread) void thread.worker.terminate();
  else {
    thread.worker.unref();
    idle = thread;
  }
  if (outcome instanceof Error) job.reject(outcome);
  else job.resolve(outcome);
  runNext();
}

/**
 * Lays a graph out with ELK on the layout thread; rejects with `LayoutAbortedError` when the layout ran
 * out of time or memory.
 */
export function layoutOffThread(
  graph: ElkNode,
  limits: LayoutLimits = DEFAULT_LAYOUT_LIMITS,
): Promise<ElkNode> {
  return new Promise((resolve, reject) => {
    queue.push({ graph, limits, resolve, reject });
    runNext();
  });
}

/** Stops the layout thread, failing the layouts under way (a thread starts again on the next layout). */
export async function stopLayoutThread(): Promise<void> {
  const stopped = new LayoutAbortedError('the layout thread was stopped');
  for (const job of queue.splice(0)) job.reject(stopped);
  const threads = [idle, running?.thread].filter((thread) => thread !== undefined);
  idle = undefined;
  if (running) {
    clearTimeout(running.timer);
    running.job.reject(stopped);
    running = undefined;
  }
  await Promise.all(threads.map((thread) => thread.worker.terminate()));
}
