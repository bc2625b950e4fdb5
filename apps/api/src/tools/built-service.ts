import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built service's folder: the same path from `src/tools` (under jest) and from `dist/tools`. */
export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** The service as `npm start` runs it: `dist/main.js` and what it imports, in one file (see bundle.ts). */
export const SERVICE_BUNDLE = `${DIST}main.bundle.js`;

/** The build's record, which `tsc -b` rewrites whenever it compiles anything of the service or its libraries. */
const BUILD_INFO = `${DIST}../tsconfig.tsbuildinfo`;

/**
 * The path of the service bundle, once it is known to be built from the latest compilation: a bundle
 * older than the last `tsc -b` would run code other than the sources'.
 */
export function builtService(): string {
  const made = statSync(SERVICE_BUNDLE, { throwIfNoEntry: false });
  if (made === undefined) throw new Error(`${SERVICE_BUNDLE} is missing: run \`npm run build\` first`);
  const compiled = statSync(BUILD_INFO, { throwIfNoEntry: false });
  if (compiled !== undefined && made.mtimeMs < compiled.mtimeMs) {
    throw new Error(`${SERVICE_BUNDLE} is older than the last \`tsc -b\`: run \`npm run build\``);
  }
  return SERVICE_BUNDLE;
}
