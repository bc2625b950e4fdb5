import type { Command, Event } from './message.js';

/**
 * An aggregate as a decider: `decide` answers the events a command records (or throws a domain error),
 * `evolve` folds one event into the state. Both are pure.
 */
export interface Decider<C extends Command, E extends Event, S> {
  readonly initialState: () => S;
  readonly decide: (command: C, state: S) => readonly E[];
  readonly evolve: (state: S, event: E) => S;
  /** Folds many events at once; equal to reducing with `evolve`, but may share work across events. */
  readonly fold: (state: S, events: readonly E[]) => S;
  /**
   * `decide`, with the state after its events (equal to `fold(state, events)`), for a decider whose
   * decision already builds that state.
   */
  readonly decideAndFold?: (command: C, state: S) => { readonly events: readonly E[]; readonly state: S };
}
