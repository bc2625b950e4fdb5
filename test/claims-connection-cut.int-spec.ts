import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

// A server that cuts the connection the instant a transaction has begun, as PostgreSQL's fast shutdown
// does to a session idle in a transaction: its FATAL error comes in the same read as the ReadyForQuery of
// the `BEGIN`. The cluster crash matrix met it when PostgreSQL restarted under it.

const claimsJs = fileURLToPath(
  new URL('../apps/api/dist/executors/postgres-work-claims.js', import.meta.url),
);

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const authenticationOk = () => message('R', Buffer.from([0, 0, 0, 0]));
const readyForQuery = (status: 'I' | 'T') => message('Z', Buffer.from(status, 'latin1'));
const commandComplete = (tag: string) => message('C', Buffer.from(`${tag}\0`, 'latin1'));
const fatal = () =>
  message(
    'E',
    Buffer.from('SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0', 'latin1'),
  );

/** Answers the start-up, then the first query (the `BEGIN`) with its completion and a FATAL at once. */
async function serverCuttingAfterBegin(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let started = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      if (!started) {
        started = true;
        socket.write(Buffer.concat([authenticationOk(), readyForQuery('I')]));
        return;
      }
      if (chunk.subarray(0, 1).toString('latin1') === 'Q')
        socket.write(Buffer.concat([commandComplete('BEGIN'), readyForQuery('T'), fatal()]), () =>
          socket.end(),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `postgres://wfnet@127.0.0.1:${port}/wfnet`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('PostgresWorkClaims when the server cuts the connection inside the transaction that creates its table', () => {
  it('fails the claim and lives on, rather than dying of an unhandled error event', async () => {
    const server = await serverCuttingAfterBegin();
    try {
      // A process of its own: an unhandled 'error' event ends the process it happens in.
      const script = `
        const { PostgresWorkClaims } = await import(${JSON.stringify(claimsJs)});
        const claims = new PostgresWorkClaims(${JSON.stringify(server.url)}, 'cut');
        const outcome = await claims.claim('workitem:w1', 1000).then(() => 'granted', (error) => 'refused: ' + error.message);
        await new Promise((resolve) => setTimeout(resolve, 200));
        console.log('alive after the claim: ' + outcome);
        process.exit(0);
      `;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

      expect(output).toContain('alive after the claim: refused');
      expect(code).toBe(0);
    } finally {
      await server.close();
    }
  }, 30_000);
});
