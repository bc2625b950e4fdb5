export interface ServerSentEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export interface EventStreamReader {
  readonly status: number;
  readonly contentType: string | null;
  /** The events received so far. */
  readonly events: readonly ServerSentEvent[];
  /** Resolves once `count` events have arrived (rejects after `timeoutMs`). */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves with every event once the server ends the stream (rejects after `timeoutMs`). */
  ended(timeoutMs?: number): Promise<readonly ServerSentEvent[]>;
  /** Stops reading. */
  cancel(): Promise<void>;
}

/** Parses one `\n\n`-terminated block of `field: value` lines; comments and blocks without data are skipped. */
function parseBlock(block: string): ServerSentEvent | undefined {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { id, event, data: data.join('\n') };
}

/** Opens an SSE stream with fetch and parses it as it arrives. */
export async function openEventStream(
  url: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<EventStreamReader> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const events: ServerSentEvent[] = [];
  const listeners = new Set<() => void>();
  let done = false;
  let failure: Error | undefined;
  const notify = (): void => {
    for (const listener of listeners) listener();
  };
  const reading = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const parsed = parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (parsed) events.push(parsed);
        }
        notify();
      }
    } catch (error) {
      if (!controller.signal.aborted) failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      done = true;
      notify();
    }
  })();

  const waitUntil = (condition: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const error = failure;
        if (error !== undefined) finish(() => reject(error));
        else if (condition()) finish(resolve);
        else if (done)
          finish(() => reject(new Error(`the stream ended before ${what}; got ${events.length} events`)));
      };
      const timer = setTimeout(
        () =>
          finish(() => reject(new Error(`no ${what} within ${timeoutMs} ms; got ${events.length} events`))),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    events,
    waitForCount: (count, timeoutMs = 5000) =>
      waitUntil(() => events.length >= count, timeoutMs, `${count} events`),
    async ended(timeoutMs = 5000) {
      await waitUntil(() => done, timeoutMs, 'the end of the stream');
      return events;
    },
    async cancel() {
      controller.abort();
      await reading;
    },
  };
}
