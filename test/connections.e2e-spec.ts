import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { ErrorBody } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import { singleManual } from './http/nets.js';
import { createCase, defineWorkflow } from './http/resources.js';
import type { EventStreamReader } from './http/sse.js';
import { openEventStream } from './http/sse.js';

jest.setTimeout(30_000);

describe('event streams per caller', () => {
  let service: Service;
  let caseId: string;

  beforeAll(async () => {
    service = await startService('memory', {
      env: { WFNET_MAX_STREAMS_PER_CALLER: '2', WFNET_API_KEYS: 'ka:admin,kb:reader' },
    });
    const admin = service.api.withKey('ka');
    await defineWorkflow(admin, singleManual());
    caseId = (await createCase(admin, 'single-manual')).id;
  });

  afterAll(() => service.stop());

  const open = (key: string): Promise<EventStreamReader> =>
    openEventStream(`${service.url}/cases/${caseId}/events/stream`, { authorization: `Bearer ${key}` });

  it('refuses a caller more open streams than allowed with 429, others not, and frees a place when one ends', async () => {
    const first = await open('ka');
    const second = await open('ka');
    expect([first.status, second.status]).toEqual([200, 200]);
    await first.waitForCount(1);

    const third = await service.api
      .withKey('ka')
      .get<ErrorBody>(`/cases/${caseId}/events/stream`, { headers: { accept: 'text/event-stream' } });
    expect(third.status).toBe(429);
    expect(third.body.code).toBe('too_many_streams');
    expect(third.body.message).toMatch(/2 event streams/);

    const otherCaller = await open('kb');
    expect(otherCaller.status).toBe(200);

    await first.cancel();
    let again: EventStreamReader | undefined;
    for (let attempt = 0; attempt < 50 && again?.status !== 200; attempt += 1) {
      await again?.cancel();
      again = await open('ka');
      if (again.status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(again?.status).toBe(200);
    await Promise.all([second.cancel(), otherCaller.cancel(), again?.cancel()]);
  });
});

describe('connections at once', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory', { env: { WFNET_MAX_CONNECTIONS: '3' } });
  });

  afterAll(() => service.stop());

  /** Whether the server closes a fresh connection (at once) rather than keeping it open for 300 ms. */
  function closedAtOnce(): Promise<{ socket: Socket; closed: boolean }> {
    const { hostname, port } = new URL(service.url);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ socket, closed: false }), 300);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ socket, closed: true });
      });
    });
  }

  it('closes connections past WFNET_MAX_CONNECTIONS as they come, and takes new ones once some close', async () => {
    const held = [await closedAtOnce(), await closedAtOnce(), await closedAtOnce()];
    expect(held.map(({ closed }) => closed)).toEqual([false, false, false]);
    const fourth = await closedAtOnce();
    for (const { socket } of [...held, fourth]) socket.destroy();
    expect(fourth.closed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await service.api.get('/health')).status).toBe(200);
  });
});
