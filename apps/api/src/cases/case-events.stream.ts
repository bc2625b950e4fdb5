import type { RecordedEvent } from '@wfnet/domain';
import type { Request, Response } from 'express';
import type { CaseFollow } from './case-history.js';
import { endsCase } from './case-history.js';

/**
 * Server-Sent Events of a case: its history first, then live events until the case ends (or the
 * client goes away). Each message carries the revision as its id and the event type as its name.
 */
export async function streamCaseEvents(
  { history, live }: CaseFollow,
  request: Request,
  response: Response,
  item: (event: RecordedEvent) => object,
): Promise<void> {
  response.status(200);
  response.setHeader('content-type', 'text/event-stream; charset=utf-8');
  response.setHeader('cache-control', 'no-cache');
  response.setHeader('connection', 'keep-alive');
  response.flushHeaders();
  const send = (event: RecordedEvent): void => {
    response.write(`id: ${event.revision}\nevent: ${event.type}\ndata: ${JSON.stringify(item(event))}\n\n`);
  };

  for (const event of history) send(event);
  let last = history[history.length - 1];
  if (!live || !last) {
    response.end();
    return;
  }

  const close = (): void => void live.close();
  request.on('close', close);
  try {
    for await (const event of live) {
      if (event.streamId !== last.streamId || event.revision <= last.revision) continue;
      send(event);
      last = event;
      if (endsCase(event)) break;
    }
  } finally {
    request.off('close', close);
    await live.close();
    response.end();
  }
}
