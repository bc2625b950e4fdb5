import type { SoundnessReport, WorkflowDefinition } from '@wfnet/domain';
import { ValidationError } from '@wfnet/domain';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HttpError } from '../http/error.filter.js';

export interface VerificationLimits {
  /** How long the exploration may run before the net is answered `undecided`. */
  readonly timeoutMs: number;
  /** The verification thread's old-generation heap. */
  readonly maxHeapMb: number;
}

/** What a workflow thread is asked: to verify a net, or to read a PNML document into a net's JSON. */
export type ThreadRequest =
  | { readonly type: 'verify'; readonly definition: WorkflowDefinition; readonly timeoutMs: number }
  | { readonly type: 'readPnml'; readonly xml: string; readonly maxLayouts: number }
  | { readonly type: 'writePnml'; readonly definition: WorkflowDefinition };

export type ThreadReply =
  | { readonly type: 'report'; readonly report: SoundnessReport; readonly timedOut: boolean }
  /** The PNML document as the JSON text of `POST /workflows`, and its object layouts (up to `maxLayouts + 1`). */
  | { readonly type: 'workflow'; readonly json: string; readonly layouts: number }
  | { readonly type: 'pnml'; readonly xml: string }
  | { readonly type: 'unreadable'; readonly message: string; readonly path: string }
  | { readonly type: 'failed'; readonly message: string };

export interface Verification {
  readonly report: SoundnessReport;
  /** The exploration was stopped by the time limit (the report is then `undecided` or unsound). */
  readonly timedOut: boolean;
}

/** Past its time limit the exploration stops itself; past this much more its thread is terminated. */
const GRACE_MS = 5_000;

/** Compiled JavaScript only runs in a thread: from the TypeScript sources (under jest), take the build. */
function workerScript(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL(here.replace('/apps/api/src/', '/apps/api/dist/').replace(/[^/]+\.ts$/, 'verify-worker.js'))
    : new URL('./verify-worker.js', here);
}

interface Thread {
  readonly worker: Worker;
  readonly maxHeapMb: number;
}

/**
 * Threads are kept between verifications (starting one and loading the domain into it costs more than
 * verifying most nets), at most this many at once; more verifications wait for one.
 */
const MAX_THREADS = Math.max(2, availableParallelism());
const idle: Thread[] = [];
const waiting: (() => void)[] = [];
let busy = 0;

async function borrow(maxHeapMb: number): Promise<Thread> {
  while (busy >= MAX_THREADS) await new Promise<void>((resolve) => waiting.push(resolve));
  busy++;
  const index = idle.findIndex((thread) => thread.maxHeapMb === maxHeapMb);
  const [kept] = index === -1 ? [] : idle.splice(index, 1);
  if (kept) {
    kept.worker.ref();
    return kept;
  }
  const worker = new Worker(workerScript(), { resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } });
  const thread = { worker, maxHeapMb };
  worker.on('exit', () => {
    const at = idle.indexOf(thread);
    if (at !== -1) idle.splice(at, 1);
  });
  return thread;
}

function giveBack(thread: Thread, reusable: boolean): void {
  busy--;
  if (reusable) {
    // Idle, a thread must not keep the process alive.
    thread.worker.unref();
    idle.push(thread);
  } else void thread.worker.terminate();
  waiting.shift()?.();
}

/**
 * Sends `request` to a thread of the pool and waits for its reply. A thread that fails, stops or outlives
 * `backstopMs` is not reused.
 */
function ask(
  request: ThreadRequest,
  maxHeapMb: number,
  backstopMs: number,
  what: string,
): Promise<ThreadReply> {
  return borrow(maxHeapMb).then(
    (thread) =>
      new Promise((resolve, reject) => {
        const { worker } = thread;
        const unavailable = (why: string): HttpError =>
          new HttpError(503, 'verification_unavailable', `${what} ${why}`);
        const onMessage = (reply: ThreadReply): void => settle(reply, true);
        const onError = (error: Error): void => settle(unavailable(`failed: ${error.message}`), false);
        const onExit = (code: number): void => settle(unavailable(`stopped (exit code ${code})`), false);
        const backstop = setTimeout(
          () => settle(unavailable(`did not end within ${backstopMs} ms`), false),
          backstopMs,
        );
        function settle(outcome: ThreadReply | Error, reusable: boolean): void {
          clearTimeout(backstop);
          worker.off('message', onMessage).off('error', onError).off('exit', onExit);
          giveBack(thread, reusable);
          if (outcome instanceof Error) reject(outcome);
          else if (outcome.type === 'failed') reject(unavailable(`failed: ${outcome.message}`));
          else resolve(outcome);
        }
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
        worker.postMessage(request);
      }),
  );
}

/**
 * Soundness verification explores up to 100,000 markings: seconds for a net of a couple of thousand
 * nodes, which on the request's thread would stall every other request. So verifications run on worker
 * threads, bounded in time and heap. `definition` must be a workflow net (`assertValidNet`), as the
 * callers have checked with the net's conditions before.
 */
export async function verifyOffThread(
  definition: WorkflowDefinition,
  limits: VerificationLimits,
): Promise<Verification> {
  // The exploration checks its time now and then; the reduction and the analysis after it do not.
  const reply = await ask(
    { type: 'verify', definition, timeoutMs: limits.timeoutMs },
    limits.maxHeapMb,
    limits.timeoutMs + GRACE_MS,
    `the verification of workflow ${definition.id}`,
  );
  if (reply.type !== 'report') throw new Error(`a verification thread answered ${reply.type}`);
  return { report: reply.report, timedOut: reply.timedOut };
}

/** A net as PNML, written on a workflow thread: hundreds of milliseconds of XML for a net at the bounds. */
export async function writePnmlOffThread(definition: WorkflowDefinition, maxHeapMb: number): Promise<string> {
  const reply = await ask({ type: 'writePnml', definition }, maxHeapMb, PNML_BACKSTOP_MS, 'writing PNML');
  if (reply.type !== 'pnml') throw new Error(`a workflow thread answered ${reply.type}`);
  return reply.xml;
}

/** Reading 1 MiB of PNML takes up to a second or two of XML parsing: on a thread, as verification does. */
const PNML_BACKSTOP_MS = 30_000;

/**
 * A PNML document read on a workflow thread into the JSON body of `POST /workflows`: its JSON text is
 * parsed here only after its layouts were counted, so a document costs this thread no more than a JSON
 * body within `maxLayouts`. Unreadable PNML is `400 validation_failed`; too many layouts `413`.
 */
export async function readPnmlOffThread(
  xml: string,
  maxLayouts: number,
  maxHeapMb: number,
): Promise<unknown> {
  const reply = await ask(
    { type: 'readPnml', xml, maxLayouts },
    maxHeapMb,
    PNML_BACKSTOP_MS,
    'reading the PNML document',
  );
  if (reply.type === 'unreadable') {
    throw new ValidationError('validation_failed', `the PNML body cannot be read: ${reply.message}`, [
      { path: reply.path, message: reply.message },
    ]);
  }
  if (reply.type !== 'workflow') throw new Error(`a workflow thread answered ${reply.type}`);
  if (reply.layouts > maxLayouts) {
    throw new HttpError(
      413,
      'payload_too_large',
      `the PNML document makes more than ${maxLayouts} distinct object layouts, at most ${maxLayouts} allowed (WFNET_MAX_BODY_LAYOUTS)`,
    );
  }
  return JSON.parse(reply.json);
}
