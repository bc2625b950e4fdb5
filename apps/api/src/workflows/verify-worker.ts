/**
 * A workflow thread (verification.ts): explores each net it is sent until it is decided or its time runs
 * out, and answers the report; reads PNML documents into a net's JSON, and writes nets as PNML.
 */
import { verifySoundness } from '@wfnet/domain';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { jsonLayoutCount } from '../http/limits.js';
import { PnmlError, fromPnml, toPnml } from './pnml.js';
import type { ThreadReply, ThreadRequest } from './verification.js';

const port = parentPort;
if (port === null) throw new Error('verify-worker.js runs as a worker thread of a verification');

function verify({ definition, timeoutMs }: Extract<ThreadRequest, { type: 'verify' }>): ThreadReply {
  const deadline = performance.now() + timeoutMs;
  let timedOut = false;
  const report = verifySoundness(definition, {
    shouldStop: () => (timedOut ||= performance.now() > deadline),
  });
  return { type: 'report', report, timedOut };
}

function readPnml({ xml, maxLayouts }: Extract<ThreadRequest, { type: 'readPnml' }>): ThreadReply {
  try {
    const json = JSON.stringify(fromPnml(xml));
    return { type: 'workflow', json, layouts: jsonLayoutCount(Buffer.from(json), maxLayouts) };
  } catch (error) {
    if (error instanceof PnmlError) return { type: 'unreadable', message: error.message, path: error.path };
    throw error;
  }
}

port.on('message', (request: ThreadRequest) => {
  let reply: ThreadReply;
  try {
    switch (request.type) {
      case 'verify':
        reply = verify(request);
        break;
      case 'readPnml':
        reply = readPnml(request);
        break;
      case 'writePnml':
        reply = { type: 'pnml', xml: toPnml(request.definition) };
        break;
    }
  } catch (error) {
    reply = { type: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
