/**
 * HTTP clients of the benchmark, in a worker thread so that they do not share the server's event loop (as
 * real clients would not): `clients` loops each create a case of `workflowId` and, for `manual2`, complete
 * its two manual workitems, until `cases` cases are created. Requests go round the `bases` in turn, as a
 * round-robin load balancer would send them.
 */
import { parentPort, workerData } from 'node:worker_threads';

export interface HttpClientsInput {
  readonly bases: readonly string[];
  readonly workflowId: string;
  /** `create`: POST /cases only (the net's steps are automatic); `manual2`: then complete workitem-1 and -2. */
  readonly steps: 'create' | 'manual2';
  readonly cases: number;
  readonly clients: number;
}

export interface HttpClientsOutput {
  /** Each request's duration in ms. */
  readonly requests: readonly number[];
  readonly failures: readonly string[];
  /** When each case's POST /cases was sent, in ms since the epoch (`performance.timeOrigin` based). */
  readonly created: readonly (readonly [string, number])[];
}

const { bases, workflowId, cases, clients, steps } = workerData as HttpClientsInput;
const requests: number[] = [];
const failures: string[] = [];
const created: [string, number][] = [];

let sentRequests = 0;

async function post(path: string, body: unknown): Promise<void> {
  const base = bases[sentRequests++ % bases.length] as string;
  const sent = performance.now();
  try {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    if (!response.ok) failures.push(`${path} answered ${response.status}`);
  } catch (error) {
    // A kept-alive connection the server closed as it was reused: told as a failure, not the end of the run.
    failures.push(
      `${path} failed: ${error instanceof Error ? `${error.message} (${String(error.cause)})` : String(error)}`,
    );
  }
  requests.push(performance.now() - sent);
}

let next = 0;
// Workitem ids are the case's own counter: m1 gets workitem-1, m2 workitem-2. A manual workitem is
// started in the command that creates it, so the client need not wait for anything.
async function client(): Promise<void> {
  while (next < cases) {
    const caseId = `h${next++}`;
    created.push([caseId, performance.timeOrigin + performance.now()]);
    await post('/cases', { workflowId, id: caseId });
    if (steps === 'create') continue;
    await post(`/workitems/${caseId}:workitem-1/complete`, { output: null });
    await post(`/workitems/${caseId}:workitem-2/complete`, { output: null });
  }
}

await Promise.all(Array.from({ length: clients }, client));
parentPort?.postMessage({ requests, failures, created } satisfies HttpClientsOutput);
