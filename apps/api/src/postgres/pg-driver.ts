import { createRequire } from 'node:module';
import type pg from 'pg';

let driver: typeof pg | undefined;

/** The `pg` driver, loaded on first use: a service on another store never loads it (≈ 35 modules). */
export function pgDriver(): typeof pg {
  return (driver ??= createRequire(import.meta.url)('pg') as typeof pg);
}
