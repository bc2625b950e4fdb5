/**
 * npm run soak [-- --minutes 10] [-- --kill-every-ms 30-530[,1000-3000]] [-- --seed N]
 *              [-- --rounds-per-file 30] [-- --workers 4]
 * Runs the crash matrix (crash-matrix.ts) against the built service for as long as asked: rounds of
 * load, a SIGKILL at an instant drawn from one of the ranges, an audit of the store and a restart. Every
 * `--rounds-per-file` rounds it works every case to its end, checks the file once more and goes on with a
 * new file, so that no round's checks grow with the length of the run. One progress line per round, a
 * report at the end; exit code 0 when clean, 1 with the problems listed, 2 on bad arguments.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MatrixTotals, RoundReport } from './crash-matrix.js';
import { CrashMatrix } from './crash-matrix.js';
import { between, pickFrom, seededRandom } from './seeded-random.js';
import { killServices } from './service-process.js';
import { removeDatabase } from './store-files.js';

interface SoakOptions {
  readonly minutes: number;
  readonly killRanges: readonly (readonly [number, number])[];
  readonly seed: number;
  readonly roundsPerFile: number;
  readonly workers: number;
}

class UsageError extends Error {}

function parseArguments(args: readonly string[]): SoakOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!;
    const value = args[i + 1];
    if (!['--minutes', '--kill-every-ms', '--seed', '--rounds-per-file', '--workers'].includes(name))
      throw new UsageError(`unknown option ${name}`);
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    values.set(name, value);
  }
  const number = (name: string, fallback: number, min: number): number => {
    const value = Number(values.get(name) ?? fallback);
    if (!Number.isFinite(value) || value < min) throw new UsageError(`${name} must be a number ≥ ${min}`);
    return value;
  };
  const killRanges = (values.get('--kill-every-ms') ?? '30-530').split(',').map((range) => {
    const match = /^(\d+)-(\d+)$/.exec(range.trim());
    const [from, to] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
    if (!(from >= 1 && to >= from))
      throw new UsageError(`--kill-every-ms takes ranges like 30-530 or 30-530,1000-3000, not "${range}"`);
    return [from, to] as const;
  });
  return {
    minutes: number('--minutes', 10, 0),
    killRanges,
    seed: Math.floor(number('--seed', Math.floor(Math.random() * 2 ** 31), 0)),
    roundsPerFile: Math.floor(number('--rounds-per-file', 30, 1)),
    workers: Math.floor(number('--workers', 4, 1)),
  };
}

const clock = (ms: number): string => {
  const seconds = Math.floor(ms / 1000);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
};
const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
};

function progressLine(elapsedMs: number, file: number, report: RoundReport): string {
  return (
    `[${clock(elapsedMs)}] file ${file} round ${report.round}: killed after ${report.killAfterMs} ms, ` +
    `${report.requestsCutOff} requests cut off, ${report.casesInFlight} cases in flight, ` +
    `${report.choicesLocked}/${report.choicesWaiting} choices locked/waiting; audit ${report.auditMs} ms, ` +
    `restart ${report.restartMs} ms, settle ${report.settleMs} ms; ${report.events} events; ` +
    (report.problems.length === 0 ? 'clean' : `${report.problems.length} PROBLEMS`)
  );
}

async function soak(options: SoakOptions): Promise<number> {
  const began = Date.now();
  const deadline = began + options.minutes * 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'wfnet-soak-'));
  const instants = seededRandom(options.seed);
  const rounds: RoundReport[] = [];
  const totals: MatrixTotals[] = [];
  const problems: string[] = [];
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    console.log('SIGINT: finishing the current file, then reporting');
  });
  console.log(
    `soak: ${options.minutes} min, kills at ${options.killRanges.map(([a, b]) => `${a}-${b}`).join(',')} ms ` +
      `into each round's load, ${options.roundsPerFile} rounds per file, ${options.workers} workers, ` +
      `seed ${options.seed}, files in ${dir}`,
  );
  try {
    for (let file = 1; Date.now() < deadline && !interrupted; file++) {
      const path = join(dir, `soak-${file}.db`);
      const matrix = await CrashMatrix.open({
        file: path,
        seed: options.seed + file,
        workers: options.workers,
      });
      try {
        while (matrix.rounds.length < options.roundsPerFile && Date.now() < deadline && !interrupted) {
          const [from, to] = pickFrom(instants, options.killRanges)!;
          const report = await matrix.round(between(instants, from, to));
          rounds.push(report);
          console.log(progressLine(Date.now() - began, file, report));
          for (const problem of report.problems) console.log(`  ${problem}`);
          problems.push(...report.problems.map((p) => `file ${file}, ${p}`));
        }
        const finished = await matrix.finish();
        problems.push(...finished.map((p) => `file ${file}, ${p}`));
        const fileTotals = matrix.totals();
        totals.push(fileTotals);
        console.log(
          `[${clock(Date.now() - began)}] file ${file} done: ${fileTotals.casesFinished}/${fileTotals.casesInStore} ` +
            `cases finished, ${fileTotals.events} events; ${finished.length === 0 ? 'clean' : `${finished.length} PROBLEMS`}`,
        );
        for (const problem of finished) console.log(`  ${problem}`);
      } finally {
        await matrix.close();
        removeDatabase(path);
      }
    }
  } catch (error) {
    problems.push(
      `the soak stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    killServices();
    rmSync(dir, { recursive: true, force: true });
  }

  const sum = (pick: (t: MatrixTotals) => number) => totals.reduce((s, t) => s + pick(t), 0);
  const restarts = rounds.map((r) => r.restartMs);
  const settles = rounds.map((r) => r.settleMs);
  const distinct = [...new Set(problems)];
  const lines = [
    '',
    `soak report (seed ${options.seed}): ${clock(Date.now() - began)} elapsed, ${totals.length} files`,
    `  kills: ${rounds.length}; with requests cut off: ${rounds.filter((r) => r.requestsCutOff > 0).length}, ` +
      `with cases in flight: ${rounds.filter((r) => r.casesInFlight > 0).length}, ` +
      `with a choice locked: ${rounds.filter((r) => r.choicesLocked > 0).length}`,
    `  cases: ${sum((t) => t.casesInStore)} created (${sum((t) => t.creationsAcknowledged)} acknowledged), ` +
      `${sum((t) => t.casesFinished)} finished`,
    `  workitems answered: ${sum((t) => t.workitemAcknowledgements.preexecuted)} preexecuted, ` +
      `${sum((t) => t.workitemAcknowledgements.completed)} completed, ` +
      `${sum((t) => t.workitemAcknowledgements.abandoned)} abandoned; ${sum((t) => t.contended)} contended 409s; ` +
      `${sum((t) => t.requestsCutOff)} requests cut off by kills; ${sum((t) => t.webhookCalls)} webhook calls`,
    `  events: ${sum((t) => t.events)}`,
    `  restart: p50 ${percentile(restarts, 50)} ms, max ${Math.max(0, ...restarts)} ms; ` +
      `settle: p50 ${percentile(settles, 50)} ms, max ${Math.max(0, ...settles)} ms`,
    `  problems: ${distinct.length === 0 ? 'none' : distinct.length}`,
    ...distinct.slice(0, 100).map((p) => `    ${p}`),
    ...(distinct.length > 100 ? [`    … and ${distinct.length - 100} more`] : []),
  ];
  console.log(lines.join('\n'));
  return distinct.length === 0 ? 0 : 1;
}

try {
  process.exitCode = await soak(parseArguments(process.argv.slice(2)));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`soak: ${error.message}`);
  process.exitCode = 2;
}
