import type { Command, Decider, Event } from '@wfnet/domain';
import type { AggregateCodec } from './aggregate-repository.js';

/** A tiny aggregate for the repository's tests and the store benchmark: named counters of one board. */
export type CounterCommand =
  | Command<'Add', { board: string; key: string; by: number }>
  | Command<'AddMany', { board: string; count: number; keys: number }>
  | Command<'Look', { board: string }>;

export type CounterEvent = Event<'Added', { key: string; by: number }>;

/** A Map, so that snapshots need a real codec. */
export type CounterState = ReadonlyMap<string, number>;

function evolve(state: CounterState, event: CounterEvent): CounterState {
  const next = new Map(state);
  next.set(event.data.key, (state.get(event.data.key) ?? 0) + event.data.by);
  return next;
}

export const counterDecider: Decider<CounterCommand, CounterEvent, CounterState> = {
  initialState: () => new Map(),
  decide: (command) => {
    switch (command.type) {
      case 'Add':
        return [{ type: 'Added', data: { key: command.data.key, by: command.data.by } }];
      case 'AddMany':
        return Array.from({ length: command.data.count }, (_, n) => ({
          type: 'Added' as const,
          data: { key: `k${n % command.data.keys}`, by: 1 },
        }));
      case 'Look':
        return [];
    }
  },
  evolve,
  // One copy for the whole batch instead of one per event.
  fold: (state, events) => {
    const next = new Map(state);
    for (const { data } of events) next.set(data.key, (next.get(data.key) ?? 0) + data.by);
    return next;
  },
};

export const counterCodec: AggregateCodec<CounterCommand, CounterState> = {
  streamId: (command) => `board-${command.data.board}`,
  toSnapshot: (state) => [...state],
  fromSnapshot: (json) => new Map(json as [string, number][]),
};
