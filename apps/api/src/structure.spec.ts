import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = dirname(fileURLToPath(import.meta.url));

type RoomGraph = ReadonlyMap<string, ReadonlySet<string>>;

/** The room of a file: its top folder under the source root, or the file itself at the root. */
function roomOf(file: string): string {
  const [top, ...rest] = relative(SOURCE, file).split(sep);
  return rest.length > 0 ? top! : top!.replace(/\.(js|ts)$/, '');
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('spec.ts') ? [path] : [];
  });
}

/** Which rooms each room imports from, read from the relative `import`/`export … from` lines of its files. */
function roomGraph(): RoomGraph {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SOURCE)) {
    const from = roomOf(file);
    const targets = graph.get(from) ?? new Set<string>();
    graph.set(from, targets);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(
      /(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g,
    )) {
      const to = roomOf(resolve(dirname(file), specifier!));
      if (to !== from) targets.add(to);
    }
  }
  return graph;
}

/** A cycle of the graph as the rooms along it (first one repeated last), or undefined when it has none. */
function findCycle(graph: RoomGraph): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (room: string): string[] | undefined => {
    const onPath = path.indexOf(room);
    if (onPath >= 0) return [...path.slice(onPath), room];
    if (done.has(room)) return undefined;
    path.push(room);
    for (const next of graph.get(room) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(room);
    return undefined;
  };
  for (const room of graph.keys()) {
    const cycle = visit(room);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the rooms of apps/api/src', () => {
  it('import each other without a cycle', () => {
    const graph = roomGraph();
    expect(graph.get('runtime.module')).toContain('engine');
    expect(findCycle(graph)).toBeUndefined();
  });

  it('a cycle between rooms is found', () => {
    const graph = new Map([
      ['http', new Set(['tokens'])],
      ['cases', new Set(['engine', 'http'])],
      ['engine', new Set(['cases'])],
    ]);
    expect(findCycle(graph)).toEqual(['cases', 'engine', 'cases']);
  });
});
