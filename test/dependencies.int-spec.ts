import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import semver from 'semver';

interface LockedPackage {
  readonly engines?: { readonly node?: string } | readonly string[];
}

const root = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, LockedPackage>;
};

// Every Node 20 release the project says it runs on: an install there must not warn EBADENGINE.
const lowest = semver.minVersion(root.engines.node);
const supported = `>=${lowest?.version ?? '?'} <21.0.0-0`;

describe('the installed dependencies', () => {
  it('the project runs on Node 20', () => {
    expect(lowest?.major).toBe(20);
  });

  it('each declares engines that admit every Node 20 release the project supports', () => {
    const excluding = Object.entries(lock.packages)
      .flatMap(([path, locked]) => {
        const node = Array.isArray(locked.engines) ? undefined : (locked.engines as { node?: string })?.node;
        return node !== undefined && !semver.subset(supported, node) ? [`${path}: node ${node}`] : [];
      })
      .sort();
    expect(excluding).toEqual([]);
  });
});
