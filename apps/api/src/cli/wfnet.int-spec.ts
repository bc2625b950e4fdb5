import { afterAll, describe, expect, it } from '@jest/globals';
import type { WorkflowDefinition } from '@wfnet/domain';
import {
  choiceAndJoinNet,
  producerLoopNet,
  trafficLightNet,
  twoTokensInTurnNet,
  wideParallelNet,
} from '@wfnet/domain/testing';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toPnml } from '../workflows/pnml.js';
import { EXIT, runCli } from './wfnet.js';

// The compiled bin, as `npx wfnet` runs it (built by `tsc -b`, which `npm test` runs first).
const bin = join(dirname(fileURLToPath(import.meta.url)), '../../dist/cli/wfnet.js');
const dir = mkdtempSync(join(tmpdir(), 'wfnet-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const json = (definition: WorkflowDefinition): string => JSON.stringify(definition);

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const runBin = (...args: string[]): Promise<Outcome> =>
  new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });

const runInProcess = async (...args: string[]): Promise<Outcome> => {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`) });
  return { code, stdout, stderr };
};

describe('npx wfnet verify (the compiled bin)', () => {
  it('is built, with the node shebang first', async () => {
    expect(existsSync(bin)).toBe(true);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('exits 0 and says sound for a sound net', async () => {
    const outcome = await runBin('verify', file('traffic-light.json', json(trafficLightNet())));
    expect(outcome).toMatchObject({ code: EXIT.sound, stderr: '' });
    expect(outcome.stdout).toContain('traffic-light: sound');
  });

  it('exits 1 and prints each counterexample for an unsound net', async () => {
    const outcome = await runBin('verify', file('choice.json', json(choiceAndJoinNet())));
    expect(outcome.code).toBe(EXIT.unsound);
    expect(outcome.stdout).toContain('choice-and-join: NOT SOUND');
    expect(outcome.stdout).toContain('x  ⇒  {l: 1}');
    expect(outcome.stdout).toMatch(/dead transitions.*\n\s+join/);
  });

  it('reads PNML and prints the report as JSON with --json', async () => {
    const outcome = await runBin('verify', file('producer.pnml', toPnml(producerLoopNet())), '--json');
    expect(outcome.code).toBe(EXIT.unsound);
    const report = JSON.parse(outcome.stdout) as { sound: unknown; unboundedPlaces: { place: string }[] };
    expect(report.sound).toBe(false);
    expect(report.unboundedPlaces.map((u) => u.place)).toEqual(['buf']);
  });
});

describe('wfnet verify (in process)', () => {
  it('exits 3 when the state budget runs out before an answer', async () => {
    const wide = file('wide.json', json(wideParallelNet(12, 3)));
    // The wide net reduces at once; a net the rules cannot shrink needs the budget.
    expect((await runInProcess('verify', wide, '--max-states', '10')).code).toBe(EXIT.sound);
    const inTurn = file('in-turn.json', json(twoTokensInTurnNet()));
    const outcome = await runInProcess('verify', inTurn, '--max-states', '2');
    expect(outcome.code).toBe(EXIT.undecided);
    expect(outcome.stdout).toContain('UNDECIDED');
  });

  it('prints the warnings of a decision net, which stays sound', async () => {
    const retry = {
      id: 'retry',
      places: [{ id: 'start', type: 'start' }, { id: 'todo' }, { id: 'worked' }, { id: 'end', type: 'end' }],
      transitions: [
        { id: 'begin', executor: 'auto' },
        { id: 'work', executor: 'auto' },
        { id: 'check', executor: 'auto', splitType: 'xor' },
      ],
      arcs: [
        { from: 'start', to: 'begin' },
        { from: 'begin', to: 'todo' },
        { from: 'todo', to: 'work' },
        { from: 'work', to: 'worked' },
        { from: 'worked', to: 'check' },
        { from: 'check', to: 'end', condition: 'output.good == true' },
        { from: 'check', to: 'todo', default: true },
      ],
    };
    const outcome = await runInProcess('verify', file('retry.json', JSON.stringify(retry)));
    expect(outcome.code).toBe(EXIT.sound);
    expect(outcome.stdout).toMatch(/^retry: sound/);
    expect(outcome.stdout).toMatch(
      /warnings .*\n\s+conditional_exit_only: the cycle through todo, worked, work, check is left only by conditional arcs \(check → end\)/,
    );
  });

  it('names the file as the workflow id when the JSON has none', async () => {
    const { id: _id, ...withoutId } = trafficLightNet();
    const outcome = await runInProcess('verify', file('lights.json', JSON.stringify(withoutId)));
    expect(outcome.stdout).toMatch(/^lights: sound/);
  });

  it.each<[string, string[], RegExp]>([
    ['no command', [], /usage: wfnet verify/],
    ['an unknown command', ['check', 'x.json'], /unknown command check/],
    ['no file', ['verify'], /which file/],
    ['an unknown option', ['verify', 'x.json', '--fast'], /unknown option --fast/],
    ['a missing file', ['verify', join(tmpdir(), 'wfnet-no-such-file.json')], /ENOENT/],
  ])('exits 2 with a message on %s', async (_name, args, message) => {
    const outcome = await runInProcess(...args);
    expect(outcome.code).toBe(EXIT.usage);
    expect(outcome.stderr).toMatch(message);
  });

  it('exits 2 and lists the broken rules for a net that is not a workflow net', async () => {
    const broken = { ...trafficLightNet(), arcs: [...trafficLightNet().arcs, { from: 'init', to: 'y2r' }] };
    const outcome = await runInProcess('verify', file('broken.json', JSON.stringify(broken)));
    expect(outcome.code).toBe(EXIT.usage);
    expect(outcome.stderr).toContain('arcs[10]: arc init → y2r joins two transitions');
  });

  it('exits 2 on hostile PNML', async () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE pnml [<!ENTITY x SYSTEM "file:///etc/passwd">]><pnml/>';
    const outcome = await runInProcess('verify', file('evil.pnml', xxe));
    expect(outcome.code).toBe(EXIT.usage);
    expect(outcome.stderr).toMatch(/DTDs and entities are not accepted/);
  });
});
