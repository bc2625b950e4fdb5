import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';

// The README's quick tour, run as it is written: each command of its shell block goes to bash from the
// repository's folder. The service listens on an ephemeral port; a curl configuration of the test's own
// (CURL_HOME) routes the tour's `localhost:3000` there, so the commands need not change.

const run = promisify(execFile);

/** The tour's shell block, as its commands: a line ending in a backslash goes on in the next one. */
function tourCommands(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## Quick tour'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md has no shell block in its quick tour');
  return block.split(/(?<!\\)\n/).filter((line) => line.trim() !== '');
}

interface Step {
  /** A piece of the command's text that names the step. */
  readonly command: string;
  /** A read may answer before the read models show the step before it: it is asked again, as a person would. */
  readonly read: boolean;
  readonly check: (answer: unknown) => void;
}

interface Item {
  readonly transitionId: string;
  readonly state: string;
  readonly type: string;
}

const STEPS: readonly Step[] = [
  {
    command: '@examples/approval.json',
    read: false,
    check: (answer) => expect(answer).toMatchObject({ id: 'approval', state: 'active' }),
  },
  {
    command: '"id": "c1"',
    read: false,
    check: (answer) => expect(answer).toMatchObject({ id: 'c1', workflowId: 'approval', state: 'active' }),
  },
  {
    command: 'workitems?caseId=c1&state=started',
    read: true,
    check: (answer) => {
      const { items } = answer as { items: Item[] };
      expect(items.map((item) => item.transitionId).sort()).toEqual(['approve', 'reject']);
      expect(items.find((item) => item.transitionId === 'approve')).toMatchObject({ id: 'c1:workitem-2' });
    },
  },
  {
    command: 'c1:workitem-2/complete',
    read: false,
    check: (answer) =>
      expect(answer).toMatchObject({ id: 'c1:workitem-2', state: 'completed', output: { by: 'ann' } }),
  },
  {
    command: 'localhost:3000/cases/c1 ',
    read: true,
    check: (answer) => expect(answer).toMatchObject({ id: 'c1', state: 'finished' }),
  },
  {
    command: 'cases/c1/events',
    read: true,
    check: (answer) => {
      const types = (answer as Item[]).map((event) => event.type);
      expect(types[0]).toBe('CaseCreated');
      expect(types).toContain('TaskAbandoned');
      expect(types[types.length - 1]).toBe('CaseFinished');
    },
  },
  {
    command: '@examples/traffic-light.pnml',
    read: false,
    check: (answer) => expect(answer).toMatchObject({ id: 'traffic-light', state: 'active' }),
  },
];

describe('the README quick tour', () => {
  let service: Service;
  let curlHome: string;
  const commands = tourCommands(readFileSync('README.md', 'utf8'));

  beforeAll(async () => {
    service = await startService('memory');
    curlHome = mkdtempSync(join(tmpdir(), 'wfnet-tour-'));
    const port = new URL(service.url).port;
    writeFileSync(join(curlHome, '.curlrc'), `connect-to = localhost:3000:127.0.0.1:${port}\n`);
  });

  afterAll(async () => {
    await service.stop();
    rmSync(curlHome, { recursive: true, force: true });
  });

  it('has the steps this test checks, in this order', () => {
    expect(commands.length).toBe(STEPS.length);
    commands.forEach((command, index) => expect(command).toContain(STEPS[index]!.command));
  });

  it('answers each step as the README says', async () => {
    const env = { ...process.env, CURL_HOME: curlHome };
    for (const [index, command] of commands.entries()) {
      const step = STEPS[index]!;
      const deadline = Date.now() + (step.read ? 5000 : 0);
      for (;;) {
        const { stdout } = await run('bash', ['-c', command], { env }).catch(
          (error: Error & { stdout?: string; stderr?: string }) => {
            throw new Error(
              `the tour's step ${index + 1} failed: ${error.stderr ?? ''}${error.stdout ?? ''}\n${command}`,
              { cause: error },
            );
          },
        );
        try {
          step.check(JSON.parse(stdout));
          break;
        } catch (error) {
          if (Date.now() >= deadline)
            throw new Error(`the tour's step ${index + 1}: ${(error as Error).message}\n${command}`, {
              cause: error,
            });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }
  }, 30_000);
});
