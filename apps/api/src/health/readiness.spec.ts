import { describe, expect, it } from '@jest/globals';
import { readiness } from './readiness.js';

describe('readiness', () => {
  it.each([
    [
      'caught up',
      { head: 10n, projectionPosition: 10n, following: true, maxLag: 0 },
      { ready: true, lag: 0n },
    ],
    [
      'within the allowed lag',
      { head: 15n, projectionPosition: 10n, following: true, maxLag: 5 },
      { ready: true, lag: 5n },
    ],
    [
      'ahead of the store (a restored read store)',
      { head: 5n, projectionPosition: 10n, following: true, maxLag: 0 },
      { ready: true, lag: 0n },
    ],
  ])('is ready when %s', (_situation, input, expected) => {
    expect(readiness(input)).toEqual(expected);
  });

  it.each([
    [
      'the store is unreachable',
      { head: undefined, projectionPosition: 0n, following: true, maxLag: 5 },
      'store_unavailable',
    ],
    [
      'the lag is over the bound',
      { head: 16n, projectionPosition: 10n, following: true, maxLag: 5 },
      'projection_lagging',
    ],
    [
      'the runner stopped following',
      { head: 10n, projectionPosition: 10n, following: false, maxLag: 5 },
      'projection_lagging',
    ],
  ])('is not ready when %s', (_situation, input, code) => {
    expect(readiness(input)).toMatchObject({ ready: false, code });
  });
});
