import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook that answers HTTP 500 to the first `failuresFor(workitemId)` calls for each workitem, then
 * completes it with `{hooked: workitemId}`; on `/held` it fails for as long as `holding` is set.
 */
export class FlakyWebhook {
  /** Calls received per workitem, failed or not. */
  readonly calls = new Map<string, number>();
  /** When each call for a workitem arrived (ms since the epoch), in order. */
  readonly callTimes = new Map<string, number[]>();
  /** Completions answered per workitem. */
  readonly completions = new Map<string, number>();
  holding = true;
  url = '';
  heldUrl = '';
  readonly #failures = new Map<string, number>();
  readonly #server: Server = createServer((request, response) => {
    const arrived = Date.now();
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const { workitem } = JSON.parse(body) as { workitem: { id: string } };
      const count = (this.calls.get(workitem.id) ?? 0) + 1;
      this.calls.set(workitem.id, count);
      this.callTimes.set(workitem.id, [...(this.callTimes.get(workitem.id) ?? []), arrived]);
      if (request.url === '/held' ? this.holding : count <= this.failuresFor(workitem.id)) {
        response.writeHead(500).end();
        return;
      }
      this.completions.set(workitem.id, (this.completions.get(workitem.id) ?? 0) + 1);
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'completed', output: { hooked: workitem.id } }));
    });
  });

  /** `chooseFailures` is asked once per workitem, at its first call. */
  constructor(private readonly chooseFailures: (workitemId: string) => number = () => 2) {}

  /** How many calls for this workitem fail before it completes. */
  failuresFor(workitemId: string): number {
    let failures = this.#failures.get(workitemId);
    if (failures === undefined) {
      failures = this.chooseFailures(workitemId);
      this.#failures.set(workitemId, failures);
    }
    return failures;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    this.url = `${base}/hook`;
    this.heldUrl = `${base}/held`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
