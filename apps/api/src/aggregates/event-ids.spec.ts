import { describe, expect, it } from '@jest/globals';
import { validate, version } from 'uuid';
import { eventIds } from './event-ids.js';

describe('eventIds', () => {
  describe('for one command of many events', () => {
    it('gives that many distinct UUIDs version 7 in the canonical lower-case form', () => {
      const ids = eventIds(1000);

      expect(ids).toHaveLength(1000);
      expect(new Set(ids).size).toBe(1000);
      for (const id of ids) {
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(validate(id)).toBe(true);
        expect(version(id)).toBe(7);
      }
    });

    it('carries the given instant in its first 48 bits, so that ids sort by time', () => {
      const msecs = Date.parse('2026-12-07T15:00:00.123Z');

      const [earlier] = eventIds(1, msecs);
      const [later] = eventIds(1, msecs + 1);

      expect(Number.parseInt((earlier ?? '').replace('-', '').slice(0, 12), 16)).toBe(msecs);
      expect((earlier ?? '') < (later ?? '')).toBe(true);
    });
  });

  it('gives distinct ids to the commands of one instant, past any number of draws of random bytes', () => {
    const msecs = Date.parse('2026-12-07T15:00:00.123Z');

    const ids = Array.from({ length: 5000 }, () => eventIds(3, msecs)).flat();
    ids.push(...eventIds(2000, msecs));

    expect(new Set(ids).size).toBe(17_000);
  });

  it('gives no id for a command of no events', () => {
    expect(eventIds(0)).toEqual([]);
  });
});
