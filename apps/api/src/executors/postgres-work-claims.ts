import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { WorkClaims } from './work-claims.js';
import { pgDriver } from '../postgres/pg-driver.js';

/** The table's name, fixed: every process on the database must meet in the same one. */
const TABLE = 'wfnet_work_claims';
/** Serialises the table's creation between processes starting at once (`CREATE … IF NOT EXISTS` races). */
const CREATE_LOCK = 0x7766_6e65; // "wfne"
const DEFAULT_SWEEP_EVERY_MS = 10 * 60_000;

export interface PostgresWorkClaimsOptions {
  /**
   * How often a claim also deletes the rows whose lease has run out: those of processes that died holding
   * them, which no release will ever delete. An expired row is as free as a missing one, so deleting it
   * changes no answer; it only keeps the table from growing with every crash.
   */
  readonly sweepEveryMs?: number;
}

/**
 * Work claims kept in PostgreSQL, shared by every process on the database: a row per claimed key, naming
 * its holder and when its lease ends. Leases are measured by the database's clock (`now()`), never a
 * process's, so processes whose clocks disagree still agree on who holds what.
 *
 * The holder is the process's name plus a suffix drawn at construction: two processes given the same name
 * by mistake still exclude each other, and a process restarted under its name waits for its former
 * claims to expire rather than taking for its own what its previous life was running.
 *
 * The table is unlogged: a claim is committed without waiting for the log to reach the disk (1.6 ms for a
 * claim and its release on a test server, against 12.5 ms logged). A database crash (or a failover) empties
 * it; a process then finds on its next renewal either its claim made again or the workitem claimed by
 * another, whose answer it leaves to that process: at worst an executor runs twice, as after any crash.
 */
export class PostgresWorkClaims implements WorkClaims {
  readonly holder: string;
  readonly #pool: pg.Pool;
  /** Whether the pool is this object's to end: made from a URL, not handed in. */
  readonly #ownsPool: boolean;
  #created: Promise<void> | undefined;
  readonly #sweepEveryMs: number;
  #sweptAt = Date.now();

  constructor(source: pg.Pool | string, processName: string, options: PostgresWorkClaimsOptions = {}) {
    this.#sweepEveryMs = options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS;
    this.holder = `${processName}#${randomBytes(4).toString('hex')}`;
    if (typeof source === 'string') {
      // Bounded waits: an execution waits for its claim, and a stop waits for the execution.
      this.#pool = new (pgDriver().Pool)({
        connectionString: source,
        max: 4,
        connectionTimeoutMillis: 10_000,
        query_timeout: 10_000,
      });
      // An idle connection cut by the server must not crash the process; the next query reconnects.
      this.#pool.on('error', () => undefined);
      this.#ownsPool = true;
    } else {
      this.#pool = source;
      this.#ownsPool = false;
    }
  }

  async claim(key: string, leaseMs: number): Promise<boolean> {
    await this.#table();
    const { rowCount } = await this.#pool.query(
      `INSERT INTO ${TABLE} (key, holder, expires_at)
       VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE ${TABLE}.holder = excluded.holder OR ${TABLE}.expires_at < now()
       RETURNING key`,
      [key, this.holder, leaseMs],
    );
    if (Date.now() - this.#sweptAt >= this.#sweepEveryMs) await this.#sweep();
    return rowCount === 1;
  }

  /** Deletes the expired rows; a failure is left for the next sweep, the claim itself stands. */
  async #sweep(): Promise<void> {
    this.#sweptAt = Date.now();
    // A row renewed meanwhile is not deleted: PostgreSQL checks the condition again on the locked row.
    await this.#pool.query(`DELETE FROM ${TABLE} WHERE expires_at < now()`).catch(() => undefined);
  }

  async release(key: string): Promise<void> {
    await this.#table();
    await this.#pool.query(`DELETE FROM ${TABLE} WHERE key = $1 AND holder = $2`, [key, this.holder]);
  }

  async close(): Promise<void> {
    if (this.#ownsPool) await this.#pool.end();
  }

  /** Creates the table on first use; a failed attempt (the database unreachable) is tried again next time. */
  #table(): Promise<void> {
    this.#created ??= this.#create().catch((error: unknown) => {
      this.#created = undefined;
      throw error;
    });
    return this.#created;
  }

  async #create(): Promise<void> {
    const client = await this.#pool.connect();
    // A cut between two statements is reported on the client, where no query listens then.
    client.on('error', () => undefined);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [CREATE_LOCK]);
      await client.query(
        `CREATE UNLOGGED TABLE IF NOT EXISTS ${TABLE} (
           key text PRIMARY KEY,
           holder text NOT NULL,
           expires_at timestamptz NOT NULL
         )`,
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
