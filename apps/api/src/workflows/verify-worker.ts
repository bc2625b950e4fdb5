/**
 * A thread of soundness verifications (verification.ts): explores each net it is sent until it is decided
 * or its time runs out, and answers the report.
 */
import { verifySoundness } from '@wfnet/domain';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import type { VerifyReply, VerifyRequest } from './verification.js';

const port = parentPort;
if (port === null) throw new Error('verify-worker.js runs as a worker thread of a verification');

port.on('message', ({ definition, timeoutMs }: VerifyRequest) => {
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
});
