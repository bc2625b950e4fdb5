import type { Event } from '@wfnet/domain';

/** A domain event as the store recorded it, as far as a view reads it: what a view folds. */
export type ProjectedEvent<E extends Event = Event> = E & {
  /** 0-based index of the event in its stream. */
  readonly revision: bigint;
  /** Global position in the store. */
  readonly position: bigint;
};

/**
 * What every read-model document carries besides its own fields. A document is fed by one stream only
 * (its case's or its workflow's), so the revision of the last event applied tells a redelivery apart.
 */
export interface Document {
  readonly id: string;
  /** Revision of the last event applied; −1 for a stub no event has created yet (never stored). */
  readonly lastRevision: number;
  /** Global position of that event, a decimal string. */
  readonly position: string;
}

/**
 * A read model: which events it handles, which documents an event touches, and how a document evolves.
 * Pure: no clock (times come from the events' `at`), no I/O. `evolve` returns the very same object when
 * nothing changes, so a store can skip the write.
 */
export interface View<D extends Document = Document, E extends Event = Event> {
  readonly name: string;
  readonly handles: readonly E['type'][];
  /**
   * The events that bring a document into being. Each document is created once, so a store knows that
   * a creation event it has not applied yet names a document it does not hold.
   */
  readonly creates: readonly E['type'][];
  /** The documents an event touches: one id, or several (a `TokensLocked` names many tokens). */
  documentId(event: ProjectedEvent<E>): string | readonly string[];
  /** The stub an absent document starts from: a new object each time, which its caller owns. */
  initial(id: string): D;
  /**
   * The document after the event. With `owned`, the caller holds the only reference to `doc` (a copy it
   * got from an earlier `evolve` and shared with no one yet), and `doc` may be updated in place and
   * returned: a change then shows in `lastRevision`, not in a new object.
   */
  evolve(doc: D, event: ProjectedEvent<E>, owned?: boolean): D;
}

export interface ViewSpec<D extends Document, E extends Event> {
  readonly name: string;
  readonly handles: readonly E['type'][];
  /** The events that bring a document into being; any other event leaves a stub as it is. */
  readonly creates: readonly E['type'][];
  documentId(event: ProjectedEvent<E>): string | readonly string[];
  initial(id: string): D;
  /**
   * What an event new to the document changes in it: the fields to overwrite, or `undefined` for
   * nothing. `lastRevision` and `position` are stamped by `evolve`.
   */
  apply(doc: D, event: ProjectedEvent<E>): Patch<D> | undefined;
}

/** The fields of a document an event overwrites. */
export type Patch<D extends Document> = Partial<Omit<D, keyof Document>>;

/** The revision and position of the last event seen, converted once however many documents it touches. */
let stampedEvent: object | undefined;
let stamp: Pick<Document, 'lastRevision' | 'position'> = { lastRevision: -1, position: '0' };
function stampOf(event: ProjectedEvent<Event>): Pick<Document, 'lastRevision' | 'position'> {
  if (event !== stampedEvent) {
    stampedEvent = event;
    stamp = { lastRevision: Number(event.revision), position: event.position.toString() };
  }
  return stamp;
}

/**
 * Builds a view whose `evolve` is idempotent: an event at or below the document's last revision changes
 * nothing, whichever view it is, so the guard lives here once instead of in every `apply`.
 */
export function defineView<D extends Document, E extends Event>(spec: ViewSpec<D, E>): View<D, E> {
  const creates = new Set<string>(spec.creates);
  return {
    name: spec.name,
    handles: spec.handles,
    creates: spec.creates,
    documentId: (event) => spec.documentId(event),
    initial: (id) => spec.initial(id),
    evolve(doc, event, owned = false) {
      const stamped = stampOf(event);
      if (stamped.lastRevision <= doc.lastRevision) return doc;
      if (doc.lastRevision < 0 && !creates.has(event.type)) return doc;
      const patch = spec.apply(doc, event);
      if (patch === undefined) return doc;
      // This runs for every document of every event of a replay, where a case's document sees every
      // event of its stream: a copy each time would be most of the cost.
      const next = (owned ? doc : { ...doc }) as { -readonly [K in keyof D]: D[K] };
      Object.assign(next, patch);
      next.lastRevision = stamped.lastRevision;
      next.position = stamped.position;
      return next;
    },
  };
}

/** The ids an event touches in a view, as a list. */
export function documentIds<D extends Document, E extends Event>(
  view: View<D, E>,
  event: ProjectedEvent<E>,
): readonly string[] {
  const ids = view.documentId(event);
  return typeof ids === 'string' ? [ids] : ids;
}

/**
 * Folds events through a view in memory: the documents they create, in creation order. What a store does
 * incrementally, done at once; also the reference the store's tests compare with.
 */
export function projectEvents<D extends Document, E extends Event>(
  view: View<D, E>,
  events: Iterable<ProjectedEvent<E>>,
): Map<string, D> {
  const handled = new Set<string>(view.handles);
  const docs = new Map<string, D>();
  for (const event of events) {
    if (!handled.has(event.type)) continue;
    for (const id of documentIds(view, event)) {
      const before = docs.get(id) ?? view.initial(id);
      const after = view.evolve(before, event);
      if (after !== before) docs.set(id, after);
    }
  }
  return docs;
}
