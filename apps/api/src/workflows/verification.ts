import type { SoundnessReport, WorkflowDefinition } from '@wfnet/domain';
import { assertValidNet } from '@wfnet/domain';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HttpError } from '../http/error.filter.js';

export interface VerificationLimits {
  /** How long the exploration may run before the net is answered `undecided`. */
  readonly timeoutMs: number;
  /** The verification thread's old-generation heap. */
  readonly maxHeapMb: number;
}

export interface VerifyRequest {
  readonly definition: WorkflowDefinition;
  readonly timeoutMs: number;
}

export type VerifyReply =
  | { readonly type: 'report'; readonly report: SoundnessReport; readonly timedOut: boolean }
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
 * Soundness verification explores up to 100,000 markings: seconds for a net of a couple of thousand
 * nodes, which on the request's thread would stall every other request. So verifications run on worker
 * threads, bounded in time and heap. A net that is not a workflow net is refused first, here
 * (`invalid_net`): that check is linear in the net.
 */
export async function verifyOffThread(
  definition: WorkflowDefinition,
  limits: VerificationLimits,
): Promise<Verification> {
  assertValidNet(definition);
  const thread = await borrow(limits.maxHeapMb);
  const { worker } = thread;
  return new Promise((resolve, reject) => {
    const unavailable = (why: string): HttpError =>
      new HttpError(503, 'verification_unavailable', `the verification of workflow ${definition.id} ${why}`);
    const onMessage = (reply: VerifyReply): void =>
      settle(
        reply.type === 'report'
          ? { report: reply.report, timedOut: reply.timedOut }
          : unavailable(`failed: ${reply.message}`),
        true,
      );
    const onError = (error: Error): void => settle(unavailable(`failed: ${error.message}`), false);
    const onExit = (code: number): void => settle(unavailable(`stopped (exit code ${code})`), false);
    // The exploration checks its time now and then; the reduction and the analysis after it do not.
    const backstop = setTimeout(
      () => settle(unavailable(`did not end within ${limits.timeoutMs + GRACE_MS} ms`), false),
      limits.timeoutMs + GRACE_MS,
    );
    function settle(outcome: Verification | Error, reusable: boolean): void {
      clearTimeout(backstop);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      giveBack(thread, reusable);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    }
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    worker.postMessage({ definition, timeoutMs: limits.timeoutMs } satisfies VerifyRequest);
  });
}
