import type { SoundnessReport, WorkflowDefinition } from '@wfnet/domain';
import { assertValidNet } from '@wfnet/domain';
import { Worker } from 'node:worker_threads';
import { HttpError } from '../http/error.filter.js';

export interface VerificationLimits {
  /** How long the exploration may run before the net is answered `undecided`. */
  readonly timeoutMs: number;
  /** The verification thread's old-generation heap. */
  readonly maxHeapMb: number;
}

export interface VerifyWorkerData {
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

/** Past its time limit the thread is asked to stop; past this much more it is terminated. */
const GRACE_MS = 2_000;

/** Compiled JavaScript only runs in a thread: from the TypeScript sources (under jest), take the build. */
function workerScript(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL(here.replace('/apps/api/src/', '/apps/api/dist/').replace(/[^/]+\.ts$/, 'verify-worker.js'))
    : new URL('./verify-worker.js', here);
}

/**
 * Soundness verification explores up to 100,000 markings: seconds for a net of a couple of thousand
 * nodes, which on the request's thread would stall every other request. So each verification runs on a
 * thread of its own, bounded in time and heap. A net that is not a workflow net is refused first, here
 * (`invalid_net`): that check is linear in the net.
 */
export function verifyOffThread(
  definition: WorkflowDefinition,
  limits: VerificationLimits,
): Promise<Verification> {
  assertValidNet(definition);
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerScript(), {
      workerData: { definition, timeoutMs: limits.timeoutMs } satisfies VerifyWorkerData,
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb },
    });
    let settled = false;
    const settle = (outcome: Verification | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(backstop);
      void worker.terminate();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const unavailable = (why: string): HttpError =>
      new HttpError(503, 'verification_unavailable', `the verification of workflow ${definition.id} ${why}`);
    // The exploration checks its time now and then; the analysis after it and the reduction do not.
    const backstop = setTimeout(
      () => settle(unavailable(`did not end within ${limits.timeoutMs + GRACE_MS} ms`)),
      limits.timeoutMs + GRACE_MS,
    );
    worker.on('message', (reply: VerifyReply) =>
      settle(
        reply.type === 'report'
          ? { report: reply.report, timedOut: reply.timedOut }
          : unavailable(`failed: ${reply.message}`),
      ),
    );
    worker.on('error', (error) => settle(unavailable(`failed: ${error.message}`)));
    worker.on('exit', (code) => settle(unavailable(`stopped (exit code ${code})`)));
  });
}
