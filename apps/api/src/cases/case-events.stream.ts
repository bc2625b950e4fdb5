import type { RecordedEvent } from '@wfnet/domain';
import { NotFoundError, caseStreamId } from '@wfnet/domain';
import type { Request, Response } from 'express';
import type { Engine } from '../engine/engine.js';

const ENDS_CASE = new Set(['CaseFinished', 'CaseTerminated']);

/**
 * Server-Sent Events of a case: its history first, then live events until the case ends (or the
 * client goes away). Each message carries the revision as its id and the event type as its name.
 */
export async function streamCaseEvents(
  engine: Engine,
  caseId: string,
  request: Request,
  response: Response,
  item: (event: RecordedEvent) => object,
): Promise<void> {
  const streamId = caseStreamId(caseId);
  const history = await engine.store.readStream(streamId);
  if (history.length === 0) throw new NotFoundError('case', caseId);

  response.status(200);
  response.setHeader('content-type', 'text/event-stream; charset=utf-8');
  response.setHeader('cache-control', 'no-cache');
  response.setHeader('connection', 'keep-alive');
  response.flushHeaders();
  const send = (event: RecordedEvent): void => {
    response.write(`id: ${event.revision}\nevent: ${event.type}\ndata: ${JSON.stringify(item(event))}\n\n`);
  };

  let last = history[history.length - 1]!;
  for (const event of history) send(event);
  if (ENDS_CASE.has(last.type)) {
    response.end();
    return;
  }

  const subscription = engine.store.subscribe({ after: last.position, streamPrefixes: [streamId] });
  const close = (): void => void subscription.close();
  request.on('close', close);
  try {
    for await (const event of subscription) {
      if (event.streamId !== streamId || event.revision <= last.revision) continue;
      send(event);
      last = event;
      if (ENDS_CASE.has(event.type)) break;
    }
  } finally {
    request.off('close', close);
    await subscription.close();
    response.end();
  }
}
