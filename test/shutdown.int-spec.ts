import { afterAll, afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Exit } from '../apps/api/src/soak/service-process.js';
import { killServices, startService } from '../apps/api/src/soak/service-process.js';

jest.setTimeout(60_000);

// The built service as a child process (`npx tsc -b` first), stopped while clients hold connections open.

const dir = mkdtempSync(join(tmpdir(), 'wfnet-shutdown-'));

afterEach(killServices);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A client that starts a request and then sends one more header line every 200 ms, never finishing. */
function trickleHeaders(base: string): { socket: Socket; stop(): void } {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  socket.write(`GET /health HTTP/1.1\r\nHost: ${hostname}\r\n`);
  let line = 0;
  const timer = setInterval(() => {
    line += 1;
    if (!socket.destroyed) socket.write(`X-Slow-${line}: a\r\n`);
  }, 200);
  return { socket, stop: () => clearInterval(timer) };
}

/** The exit, or `undefined` when the process is still running after `ms`. */
function exitWithin(exited: Promise<Exit>, ms: number): Promise<Exit | undefined> {
  return Promise.race([
    exited,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms)),
  ]);
}

describe('a stop while clients hold connections open', () => {
  it('exits 0 within the grace period although a client trickles its headers', async () => {
    const service = await startService(join(dir, 'trickle.db'), 20_000, { WFNET_SHUTDOWN_GRACE_MS: '1000' });
    const clients = [trickleHeaders(service.base), trickleHeaders(service.base)];
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stoppedAt = Date.now();
      service.child.kill('SIGTERM');
      const exit = await exitWithin(service.exited, 10_000);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - stoppedAt).toBeLessThan(10_000);
      expect(clients.every(({ socket }) => socket.destroyed || socket.readableEnded)).toBe(true);
    } finally {
      for (const client of clients) {
        client.stop();
        client.socket.destroy();
      }
    }
  });

  it('lets a slow client that never finishes its headers go after the headers timeout, while running', async () => {
    const service = await startService(join(dir, 'headers.db'));
    const client = trickleHeaders(service.base);
    try {
      const closed = new Promise<number>((resolve) => client.socket.on('close', () => resolve(Date.now())));
      const openedAt = Date.now();
      const closedAt = await Promise.race([
        closed,
        new Promise<number>((r) => setTimeout(() => r(-1), 25_000)),
      ]);
      expect(closedAt).toBeGreaterThan(0);
      expect(closedAt - openedAt).toBeLessThan(25_000);
    } finally {
      client.stop();
      client.socket.destroy();
    }
  });
});
