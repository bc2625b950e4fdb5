import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '@wfnet/domain';
import { loopRound } from '../event-loop.js';
import { DECODE_BUDGET, RecentEvents } from './recent-events.js';
import type { CommittedEvent } from './recent-events.js';

const recorded = (position: number): RecordedEvent => ({
  id: `e${position}`,
  streamId: 's',
  revision: BigInt(position),
  position: BigInt(position),
  type: 'Happened',
  data: { nested: { position } },
  metadata: undefined,
  recordedAt: '2026-01-01T00:00:00.000Z',
});
const event = (position: number, encodedLength = 100): CommittedEvent => ({
  position: BigInt(position),
  type: 'Happened',
  streamId: 's',
  encodedLength,
  decode: () => recorded(position),
  withoutData: () => ({ ...recorded(position), data: {} }),
});

const positions = (events: readonly RecordedEvent[] | undefined) => events?.map((e) => Number(e.position));

describe('the recent events', () => {
  it('answers nothing before its first event is added', () => {
    expect(new RecentEvents(4).after(0n, 10)).toBeUndefined();
  });

  it('answers the events after a position it covers, at most maxCount', () => {
    const recent = new RecentEvents(100);
    recent.add([event(5), event(6), event(8), event(9)]);

    expect(positions(recent.after(4n, 10))).toEqual([5, 6, 8, 9]);
    expect(positions(recent.after(6n, 10))).toEqual([8, 9]);
    expect(positions(recent.after(7n, 1))).toEqual([8]);
    expect(positions(recent.after(9n, 10))).toEqual([]);
  });

  it('decodes no more than its budget in a round of the event loop, and one event at least per read', async () => {
    const recent = new RecentEvents(100);
    const large = DECODE_BUDGET / 2;
    recent.add([event(1, large), event(2, large), event(3, large), event(4, 2 * DECODE_BUDGET), event(5)]);

    expect(positions(recent.after(0n, 10))).toEqual([1, 2]);
    expect(positions(recent.after(2n, 10))).toEqual([3]);
    await loopRound();
    expect(positions(recent.after(3n, 10))).toEqual([4]);
    await loopRound();
    expect(positions(recent.after(4n, 10))).toEqual([5]);
  });

  it('counts no budget for events another reader decoded already', async () => {
    const recent = new RecentEvents(100);
    recent.add([event(1, DECODE_BUDGET), event(2, DECODE_BUDGET), event(3)]);
    expect(positions(recent.after(0n, 1))).toEqual([1]);
    await loopRound();
    expect(positions(recent.after(1n, 10))).toEqual([2]);
    await loopRound();

    expect(positions(recent.after(0n, 10))).toEqual([1, 2, 3]);
  });

  it("answers a follower nothing once the round's budget is spent, and calls it back in the next round", async () => {
    let refills = 0;
    const recent = new RecentEvents(100, () => (refills += 1));
    recent.add([event(1, DECODE_BUDGET), event(2)]);

    expect(positions(recent.after(0n, 10, true))).toEqual([1]);
    expect(positions(recent.after(1n, 10, true))).toEqual([]);
    expect(refills).toBe(0);
    await loopRound();
    expect(refills).toBe(1);
    expect(positions(recent.after(1n, 10, true))).toEqual([2]);
    await loopRound();
    expect(refills).toBe(1);
  });

  it('answers undefined for a position older than its window, which the store must read itself', () => {
    const recent = new RecentEvents(100);
    recent.add([event(5), event(6)]);

    expect(recent.after(3n, 10)).toBeUndefined();
  });

  it('keeps the latest events when it trims, and still covers every event after its first', () => {
    const recent = new RecentEvents(2);
    recent.add([1, 2, 3, 4, 5].map(event));

    expect(recent.after(1n, 10)).toBeUndefined();
    expect(positions(recent.after(3n, 10))).toEqual([4, 5]);
  });

  it('answers a reader the events it does not read the data of without it, spending no budget on them', async () => {
    await loopRound();
    const recent = new RecentEvents(100);
    let decoded = 0;
    const counted = (position: number): CommittedEvent => ({
      ...event(position, DECODE_BUDGET),
      decode: () => {
        decoded++;
        return recorded(position);
      },
    });
    recent.add([counted(1), counted(2)]);

    const readsOthers = (type: string, streamId: string) => type === 'Other' || streamId !== 's';
    const page = recent.after(0n, 10, true, readsOthers);
    expect(page).toEqual([
      { ...recorded(1), data: {} },
      { ...recorded(2), data: {} },
    ]);
    expect(Object.isFrozen(page?.[0])).toBe(true);
    expect(decoded).toBe(0);
    // The budget is untouched: a reader of the data still gets both, decoded, in this round.
    expect(positions(recent.after(0n, 10, true, (type) => type === 'Happened'))).toEqual([1]);
    expect(decoded).toBe(1);
    // Once decoded for a reader, an event goes whole to every reader.
    expect(recent.after(0n, 1, true, readsOthers)?.[0]?.data).toEqual({ nested: { position: 1 } });
  });

  it('decodes each event once, on first read, and shares it frozen, deeply', () => {
    let decoded = 0;
    const recent = new RecentEvents(10);
    recent.add([{ ...event(1), decode: () => (decoded++, recorded(1)) }]);
    expect(decoded).toBe(0);

    const [shared] = recent.after(0n, 1)!;
    expect(recent.after(0n, 1)![0]).toBe(shared);
    expect(decoded).toBe(1);
    expect(() => ((shared!.data as { nested: { position: number } }).nested.position = 2)).toThrow(TypeError);
  });
});
