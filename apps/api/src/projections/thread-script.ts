/**
 * The compiled script `name` beside this module, for a worker thread. Compiled JavaScript only runs in a
 * thread: from the TypeScript sources (under jest), take the build.
 */
export function threadScript(name: string): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL(here.replace('/apps/api/src/', '/apps/api/dist/').replace(/[^/]+\.ts$/, name))
    : new URL(`./${name}`, here);
}
