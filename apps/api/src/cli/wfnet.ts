#!/usr/bin/env node
import type { Counterexample, Marking, SoundnessReport, WorkflowInput } from '@wfnet/domain';
import { ValidationError, normalizeWorkflow, verifySoundness } from '@wfnet/domain';
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_PNML_BYTES, PnmlError, fromPnml } from '../workflows/pnml.js';

/** Exit codes, so a CI step can tell "unsound" from "could not check". */
export const EXIT = { sound: 0, unsound: 1, usage: 2, undecided: 3 } as const;

const USAGE = `usage: wfnet verify <file.json|file.pnml> [--json] [--max-states N]

Checks a workflow net for soundness: every run can finish, finishes with one token in end and
nothing else, and every transition can fire. Each decision (xor, or split) counts as a free choice
among its arcs; warnings point at what depends on the data, and never make a net unsound. Prints the report; exits ${EXIT.sound} when sound,
${EXIT.unsound} when not, ${EXIT.undecided} when the state budget ran out first, ${EXIT.usage} on bad input.
A .json file holds the body of POST /workflows; a .pnml or .xml file is PNML (P/T net).`;

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Runs the command line and answers the exit code; never exits the process itself. */
export async function runCli(args: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = args;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return EXIT.sound;
  }
  if (command !== 'verify') {
    io.err(command === undefined ? USAGE : `wfnet: unknown command ${command}\n${USAGE}`);
    return EXIT.usage;
  }
  let options;
  try {
    options = parseOptions(rest);
  } catch (error) {
    io.err(`wfnet verify: ${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  let report: SoundnessReport;
  let id: string;
  try {
    const input = await readNet(options.file);
    const definition = normalizeWorkflow(input);
    id = definition.id;
    report = verifySoundness(definition, { ...(options.maxStates && { maxStates: options.maxStates }) });
  } catch (error) {
    io.err(`wfnet verify: ${describeError(error)}`);
    return EXIT.usage;
  }
  io.out(options.json ? JSON.stringify(report, null, 2) : summary(id, report));
  return report.sound === true ? EXIT.sound : report.sound === false ? EXIT.unsound : EXIT.undecided;
}

interface Options {
  readonly file: string;
  readonly json: boolean;
  readonly maxStates?: number;
}

function parseOptions(args: readonly string[]): Options {
  let file: string | undefined;
  let json = false;
  let maxStates: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--max-states') {
      const value = Number(args[++i]);
      if (!Number.isInteger(value) || value < 1)
        throw new Error('--max-states needs a positive whole number');
      maxStates = value;
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else if (file === undefined) file = arg;
    else throw new Error(`one file at a time (got ${file} and ${arg})`);
  }
  if (file === undefined) throw new Error('which file?');
  return { file, json, ...(maxStates !== undefined && { maxStates }) };
}

/** The net in the file: PNML by extension (or by a leading `<`), else the JSON body of `POST /workflows`. */
async function readNet(file: string): Promise<WorkflowInput> {
  if ((await stat(file)).size > MAX_PNML_BYTES) throw new Error(`${file} is over ${MAX_PNML_BYTES} bytes`);
  const text = await readFile(file, 'utf8');
  const extension = extname(file).toLowerCase();
  if (
    extension === '.pnml' ||
    extension === '.xml' ||
    (extension !== '.json' && text.trimStart().startsWith('<'))
  ) {
    return fromPnml(text);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new Error(`${file} holds no JSON object`);
  const net = body as Record<string, unknown>;
  for (const key of ['places', 'transitions', 'arcs']) {
    if (!Array.isArray(net[key])) throw new Error(`${file}: "${key}" must be an array`);
  }
  return {
    ...(net as unknown as WorkflowInput),
    id: typeof net['id'] === 'string' ? net['id'] : basename(file, extname(file)),
  };
}

function describeError(error: unknown): string {
  if (error instanceof ValidationError) {
    return [error.message, ...error.details.map((d) => `  ${d.path}: ${d.message}`)].join('\n');
  }
  if (error instanceof PnmlError) return `${error.message} (at ${error.path})`;
  return error instanceof Error ? error.message : String(error);
}

const marking = (m: Marking): string =>
  `{${Object.entries(m)
    .map(([place, count]) => `${place}: ${count}`)
    .join(', ')}}`;
const sequence = (firing: readonly string[]): string =>
  firing.length > 0 ? firing.join(' → ') : '(nothing fired)';
const run = ({ firingSequence, marking: m }: Counterexample): string =>
  `${sequence(firingSequence)}  ⇒  ${marking(m)}`;

/** The report for people: verdict first, then each problem with the run that shows it. */
export function summary(id: string, report: SoundnessReport): string {
  const verdict =
    report.sound === true
      ? 'sound'
      : report.sound === false
        ? 'NOT SOUND'
        : 'UNDECIDED (state budget exceeded)';
  const how =
    report.method === 'reduction'
      ? 'proven by reduction rules'
      : `${report.statesExplored} markings explored${report.complete ? '' : ', budget exceeded'}`;
  const lines = [`${id}: ${verdict} (${how}${report.freeChoice ? ', free-choice' : ''})`];
  const section = (title: string, items: readonly string[]): void => {
    if (items.length > 0) lines.push(`  ${title}:`, ...items.map((item) => `    ${item}`));
  };
  section('deadlocks (nothing enabled, end not reached)', report.deadlocks.map(run));
  section('improper completions (end reached with tokens left)', report.improperCompletions.map(run));
  section('livelocks (cycles that never reach end)', report.livelocks.map(run));
  section(
    'unbounded places',
    report.unboundedPlaces.map(
      (u) =>
        `${u.place}: ${sequence(u.firingSequence)}  ⇒  ${marking(u.marking)}, then repeat ${sequence(u.pumpingSequence)}  ⇒  ${marking(u.pumpedMarking)} …`,
    ),
  );
  section('dead transitions (can never fire)', report.deadTransitions);
  section(
    'warnings (decisions were verified as free choices; these depend on the data)',
    report.warnings.map((w) => `${w.code}: ${w.message}`),
  );
  return lines.join('\n');
}

// npm links a bin through a symlink, so compare real paths.
const invokedAs = process.argv[1] ? await realpath(process.argv[1]).catch(() => process.argv[1]) : undefined;
if (invokedAs === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  });
}
