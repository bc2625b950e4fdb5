import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled child script of the SQLite int tests; `npm test` builds it with `tsc -b` before this tier. */
export const sqliteWriter = join(
  dirname(fileURLToPath(import.meta.url)),
  '../apps/api/dist/tools/sqlite-writer.js',
);

export function checkBuilt(): void {
  if (!existsSync(sqliteWriter)) throw new Error(`${sqliteWriter} is missing: run \`npx tsc -b\` first`);
}

/** Runs the child to completion, as another user when `as` says, and answers its stdout. */
export function runWriter(file: string, mode: 'open', as?: { uid: number; gid: number }): Promise<string> {
  checkBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [sqliteWriter, file, mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
      ...as,
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
}
