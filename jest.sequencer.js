import Sequencer from '@jest/test-sequencer';

/**
 * Files that each take a minute or more in one worker. Jest runs the longest files first when it has
 * their timings from an earlier run; a fresh clone has none, and by file size these would start last and
 * hold the run for minutes after the other worker has finished.
 */
const LONGEST = [
  /\/crash-matrix\.int-spec\.ts$/,
  /\/cluster-crash-matrix\.int-spec\.ts$/,
  /\/restore\.int-spec\.ts$/,
  /\/case\.property\.spec\.ts$/,
  /\/verify\.property\.spec\.ts$/,
  /\/case-timers\.property\.spec\.ts$/,
];

const rank = (path) => {
  const index = LONGEST.findIndex((pattern) => pattern.test(path));
  return index === -1 ? LONGEST.length : index;
};

/** Jest's order (failed first, then by past duration or size), with the longest files moved to the front. */
export default class LongestFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return sorted
      .map((test, index) => ({ test, index }))
      .sort((a, b) => rank(a.test.path) - rank(b.test.path) || a.index - b.index)
      .map(({ test }) => test);
  }
}
