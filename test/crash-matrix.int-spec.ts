import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrashMatrix } from '../apps/api/src/soak/crash-matrix.js';
import type { RoundReport } from '../apps/api/src/soak/crash-matrix.js';
import { seededRandom, spreadInstants } from '../apps/api/src/soak/seeded-random.js';
import { killServices } from '../apps/api/src/soak/service-process.js';

// The built service on a SQLite file under a mixed load, killed with SIGKILL at 30 instants; `npm run
// soak` runs the same matrix for as long as asked. WFNET_CRASH_SEED=<seed> replays a run's kill instants
// and random choices (not its timing).

const KILLS = 30;
const seed = Number(process.env['WFNET_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const dir = mkdtempSync(join(tmpdir(), 'wfnet-crash-matrix-'));
afterAll(() => {
  killServices();
  rmSync(dir, { recursive: true, force: true });
});

describe('the crash matrix: the service killed with SIGKILL under a mixed load, 30 times', () => {
  it('conserves tokens, loses no acknowledged work, fires every timer once and no retry early, keeps the read models equal to a rebuild, and ends every case', async () => {
    // Instants spread over the first half second of each round's load, where every net has work in flight.
    const instants = spreadInstants(seededRandom(seed), KILLS, 30, 530);
    console.info(
      `crash matrix: seed ${seed} (WFNET_CRASH_SEED), kill instants in ms: ${instants.join(', ')}`,
    );
    const matrix = await CrashMatrix.open({ file: join(dir, 'matrix.db'), seed });
    try {
      for (const killAfterMs of instants) {
        const report = await matrix.round(killAfterMs);
        expect(report.problems).toEqual([]);
      }
      expect(await matrix.finish()).toEqual([]);
    } finally {
      await matrix.close();
    }
    const rounds: readonly RoundReport[] = matrix.rounds;

    const totals = matrix.totals();
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    console.info(
      `crash matrix (seed ${seed}): ${totals.kills} kills, ${totals.casesInStore} cases (${totals.creationsAcknowledged} ` +
        `acknowledged), ${totals.casesFinished} finished, ${totals.events} events, workitems answered ` +
        `${JSON.stringify(totals.workitemAcknowledgements)}, ${totals.contended} contended 409s, ` +
        `${totals.webhookCalls} webhook calls, ${totals.failedAttempts} failed attempts retried, ` +
        `${totals.timersFired} timers fired; audit p50 ${median(rounds.map((r) => r.auditMs))} ms, ` +
        `restart p50 ${median(rounds.map((r) => r.restartMs))} ms, ` +
        `settle p50 ${median(rounds.map((r) => r.settleMs))} ms; per round ` +
        rounds
          .map(
            (r) =>
              `#${r.round} killed after ${r.killAfterMs} ms: ${r.requestsCutOff} requests cut off, ` +
              `${r.casesInFlight} cases in flight, ${r.choicesLocked}/${r.choicesWaiting} choices locked/waiting`,
          )
          .join('; '),
    );

    expect(totals.casesFinished).toBe(totals.casesInStore);
    // The kills must have caught work in flight, or the matrix proves nothing.
    expect(rounds.filter((r) => r.requestsCutOff > 0).length).toBeGreaterThanOrEqual(KILLS / 2);
    expect(rounds.filter((r) => r.casesInFlight > 0).length).toBeGreaterThan(KILLS / 2);
    expect(rounds.filter((r) => r.choicesLocked > 0).length).toBeGreaterThan(0);
    expect(totals.workitemAcknowledgements.preexecuted).toBeGreaterThan(0);
    expect(totals.workitemAcknowledgements.completed).toBeGreaterThan(0);
    expect(totals.workitemAcknowledgements.abandoned).toBeGreaterThan(0);
    expect(totals.contended).toBeGreaterThan(0);
    // Timers fired (the timer net's, the webhook's retries) and failed attempts were recorded under the kills.
    expect(totals.timersFired).toBeGreaterThan(0);
    expect(totals.failedAttempts).toBeGreaterThan(0);
    // A bound on a hang, not on speed: 30 restarts under a shared machine's load take minutes.
  }, 600_000);
});
