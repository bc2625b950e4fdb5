/**
 * A thread of one soundness verification (verification.ts): explores the net until it is decided or
 * its time runs out, and answers the report.
 */
import { verifySoundness } from '@wfnet/domain';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { VerifyReply, VerifyWorkerData } from './verification.js';

const { definition, timeoutMs } = workerData as VerifyWorkerData;
const port = parentPort;
if (port === null) throw new Error('verify-worker.js runs as a worker thread of a verification');

const deadline = performance.now() + timeoutMs;
let reply: VerifyReply;
try {
  let timedOut = false;
  const report = verifySoundness(definition, {
    shouldStop: () => (timedOut ||= performance.now() > deadline),
  });
  reply = { type: 'report', report, timedOut };
} catch (error) {
  reply = { type: 'failed', message: error instanceof Error ? error.message : String(error) };
}
port.postMessage(reply);
