import { afterAll, afterEach, describe, expect, it, jest } from '@jest/globals';
import { existsSync, linkSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  call,
  freePort,
  killServices,
  spawnService,
  startService,
} from '../apps/api/src/soak/service-process.js';

jest.setTimeout(60_000);

// The built service as a child process (`npx tsc -b` first), started a second time beside a running one.

const dir = mkdtempSync(join(tmpdir(), 'wfnet-start-up-'));

afterEach(killServices);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The second process's whole run: its exit, its stderr lines, and stdout and stderr as they arrived. */
async function second(settings: Record<string, string>) {
  const spawned = spawnService(settings);
  let stderr = '';
  spawned.child.stderr?.on('data', (chunk: string) => (stderr += chunk));
  // 'close' comes once stdout and stderr have ended too, unlike 'exit'.
  const closed = new Promise((resolve) => spawned.child.on('close', resolve));
  const exit = await spawned.exited;
  await closed;
  return { exit, stderrLines: stderr.split('\n').filter((line) => line !== ''), output: spawned.output() };
}

describe('a second process on the same SQLite file', () => {
  it('stops with one plain line naming the file, exit code 2, and the first keeps serving', async () => {
    const file = join(dir, 'shared.db');
    const one = await startService(file);

    const two = await second({
      WFNET_EVENT_STORE: `sqlite:${file}`,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });

    expect(two.exit).toEqual({ code: 2, signal: null });
    expect(two.stderrLines).toEqual([expect.stringMatching(/^wfnet: .*in use by another process/)]);
    expect(two.stderrLines[0]).toContain(`the SQLite event store ${file} `);
    // Nothing but that line: no JSON log line, no stack.
    expect(two.output).toBe(`${two.stderrLines[0]}\n`);
    expect((await call(one.base, 'GET', '/health')).status).toBe(200);
  });
});

describe('a second process on the same SQLite file by another name', () => {
  it.each([
    ['a symbolic link', symlinkSync],
    ['a hard link', linkSync],
  ])(
    'through %s: stops with the same plain line, exit code 2, and the first keeps serving',
    async (_name, link) => {
      const file = join(dir, `linked-${link.name}.db`);
      const one = await startService(file);
      const other = join(dir, `other-name-${link.name}.db`);
      link(file, other);

      const two = await second({
        WFNET_EVENT_STORE: `sqlite:${other}`,
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
      });

      expect(two.exit).toEqual({ code: 2, signal: null });
      expect(two.stderrLines).toEqual([expect.stringMatching(/^wfnet: .*in use by another process/)]);
      expect(two.output).toBe(`${two.stderrLines[0]}\n`);
      expect((await call(one.base, 'GET', '/health')).status).toBe(200);
    },
  );
});

describe('a second process on a port already in use', () => {
  it('stops with one plain line before any "started" line, exit code 2, its stores closed', async () => {
    const one = await startService(join(dir, 'first.db'));
    const port = new URL(one.base).port;
    const own = join(dir, 'second.db');

    const two = await second({ WFNET_EVENT_STORE: `sqlite:${own}`, PORT: port, HOST: '127.0.0.1' });

    expect(two.exit).toEqual({ code: 2, signal: null });
    expect(two.stderrLines).toEqual([`wfnet: port ${port} on 127.0.0.1 is in use by another process`]);
    const before = two.output.slice(0, two.output.indexOf('wfnet: port'));
    expect(before).not.toMatch(/successfully started|serving on/);
    // Nothing but that line: no JSON log line, no stack.
    expect(two.output).toBe(`${two.stderrLines[0]}\n`);
    // SQLite removes the write-ahead log when the last connection to a file closes: none was left open.
    expect(existsSync(own)).toBe(true);
    expect(existsSync(`${own}-wal`)).toBe(false);
    expect((await call(one.base, 'GET', '/health')).status).toBe(200);
  });
});
