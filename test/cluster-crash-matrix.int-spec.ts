import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ClusterMatrix } from '../apps/api/src/soak/cluster-matrix.js';
import type { ClusterRoundReport } from '../apps/api/src/soak/cluster-matrix.js';
import { between, seededRandom, spreadInstants } from '../apps/api/src/soak/seeded-random.js';
import { killServices } from '../apps/api/src/soak/service-process.js';
import { startTestPostgres } from './postgres.js';
import type { TestPostgres } from './postgres.js';

// Three api processes on one PostgreSQL store under a mixed load sent to all three, one of them killed
// with SIGKILL at 30 instants, and once every connection to the database cut. WFNET_CRASH_SEED=<seed>
// replays a run's instants and random choices, not its timing: a victim is drawn among the processes up
// at its instant, so it may differ.

const KILLS = 30;
const seed = Number(process.env['WFNET_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const dir = mkdtempSync(join(tmpdir(), 'wfnet-cluster-matrix-'));
let postgres: TestPostgres;

beforeAll(async () => {
  postgres = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  killServices();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Cuts every connection to the database: a restart of the embedded server; a server the environment
 * names cannot be restarted from here, so there every other session on the database is terminated.
 */
function cutter(url: string): () => Promise<void> {
  if (postgres.restart) return postgres.restart;
  return async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
    } finally {
      await client.end();
    }
  };
}

describe('the cluster crash matrix: three processes on one PostgreSQL store, one killed 30 times, the database cut once', () => {
  it('loses no acknowledged work, conserves tokens, runs each webhook call in one process at a time, keeps every read model equal to a rebuild, and ends every case', async () => {
    const random = seededRandom(seed);
    // Instants spread over the first half second of each round's load, where every net has work in flight.
    const instants = spreadInstants(random, KILLS + 1, 30, 530);
    const cutRound = between(random, 3, KILLS - 3);
    console.info(
      `cluster crash matrix: seed ${seed} (WFNET_CRASH_SEED), database cut in round ${cutRound}, ` +
        `instants in ms: ${instants.join(', ')}`,
    );
    const storeUrl = await postgres.database();
    // Short leases: a killed process's claims pass to the others within 3 s rather than 30.
    const matrix = await ClusterMatrix.open({
      storeUrl,
      dir,
      seed,
      settings: { WFNET_CLAIM_LEASE_MS: '3000' },
    });
    let closing: string[];
    let finishMs: number;
    try {
      for (const [round, afterMs] of instants.entries()) {
        const report =
          round === cutRound
            ? await matrix.cutRound(afterMs, cutter(storeUrl))
            : await matrix.killRound(afterMs);
        expect(report.problems).toEqual([]);
      }
      const finishBegan = Date.now();
      expect(await matrix.finish()).toEqual([]);
      finishMs = Date.now() - finishBegan;
    } finally {
      closing = await matrix.close();
    }
    expect(closing).toEqual([]);
    const rounds: readonly ClusterRoundReport[] = matrix.rounds;

    const totals = matrix.totals();
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    console.info(
      `cluster crash matrix (seed ${seed}): ${totals.processes} processes, ${totals.kills} kills, ` +
        `${totals.databaseCuts} database cut (${totals.unavailableAnswers} answers 503 store_unavailable), ` +
        `${totals.casesInStore} cases (${totals.creationsAcknowledged} acknowledged), ${totals.casesFinished} finished, ` +
        `${totals.events} events, workitems answered ${JSON.stringify(totals.workitemAcknowledgements)}, ` +
        `${totals.contended} contended 409s, ${totals.requestsCutOff} requests cut off; webhook: ` +
        `${totals.webhookWorkitems} workitems, ${totals.webhookCalls} calls, ${totals.failedAttempts} failed ` +
        `attempts recorded, ${totals.webhookCallsCut} calls cut off by their caller, ${totals.webhookCallsRepeated} ` +
        `repeated after an interruption, ${totals.webhookOverlaps} overlaps, failed attempts that never reached ` +
        `the webhook: ${totals.failuresWithoutCall.join('; ') || 'none'}; ${totals.timersFired} timers fired; ` +
        `audit p50 ${median(rounds.map((r) => r.auditMs))} ms, restart p50 ${median(matrix.restartTimes)} ms, ` +
        `rounds waited ${rounds.reduce((sum, r) => sum + r.waitedForRestartsMs, 0)} ms in all for restarts, ` +
        `the end (every case worked to its end and at rest) took ${finishMs} ms; ` +
        `per round ` +
        rounds
          .map(
            (r) =>
              `#${r.round} ${r.interruption.kind === 'kill' ? `killed ${r.interruption.process}` : 'cut the database'} ` +
              `after ${r.afterMs} ms: ${r.requestsCutOff} requests cut off, ${r.casesInFlight} cases in flight` +
              (r.settleMs === undefined ? '' : `, settled in ${r.settleMs} ms`),
          )
          .join('; '),
    );

    expect(totals.kills).toBe(KILLS);
    expect(matrix.restartTimes).toHaveLength(KILLS);
    expect(totals.databaseCuts).toBe(1);
    expect(totals.casesFinished).toBe(totals.casesInStore);
    expect(totals.webhookOverlaps).toBe(0);
    // The interruptions must have caught work in flight, or the matrix proves nothing.
    expect(rounds.filter((r) => r.requestsCutOff > 0).length).toBeGreaterThanOrEqual(KILLS / 3);
    expect(rounds.filter((r) => r.casesInFlight > 0).length).toBeGreaterThan(KILLS / 2);
    expect(totals.workitemAcknowledgements.completed).toBeGreaterThan(0);
    expect(totals.workitemAcknowledgements.abandoned).toBeGreaterThan(0);
    expect(totals.failedAttempts).toBeGreaterThan(0);
    expect(totals.timersFired).toBeGreaterThan(0);
    // The webhook's failures were retried: more calls than workitems.
    expect(totals.webhookCalls).toBeGreaterThan(totals.webhookWorkitems);
  }, 600_000);
});
