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
 * Pure: no clock (times come from the events' `at`), no I/O.
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
  /**
   * Document `id` after the event: `null` while no event has created it. A change gives a new object;
   * an event that changes nothing (one already applied, or one that does not concern it) gives `doc`.
   */
  evolve(doc: D | null, event: ProjectedEvent<E>, id: string): D | null;
  /**
   * What `evolve` would write into document `id` besides `lastRevision` and `position`, or `undefined`
   * when it changes nothing: for a caller that keeps its own copy of the document to update in place.
   * For a `null` document they are a whole new document of the caller's own.
   */
  changes(doc: D | null, event: ProjectedEvent<E>, id: string): Partial<D> | undefined;
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

/**
 * Builds a view whose `evolve` is idempotent: an event at or below the document's last revision changes
 * nothing, whichever view it is, so the guard lives here once instead of in every `apply`.
 */
export function defineView<D extends Document, E extends Event>(spec: ViewSpec<D, E>): View<D, E> {
  const creates = new Set<string>(spec.creates);
  const changes = (doc: D | null, event: ProjectedEvent<E>, id: string): Partial<D> | undefined => {
    if (doc === null) {
      if (!creates.has(event.type)) return undefined;
      const stub = spec.initial(id);
      const patch = spec.apply(stub, event);
      return patch === undefined ? undefined : { ...stub, ...patch };
    }
    if (Number(event.revision) <= doc.lastRevision) return undefined;
    return spec.apply(doc, event) as Partial<D> | undefined;
  };
  return {
    name: spec.name,
    handles: spec.handles,
    creates: spec.creates,
    documentId: (event) => spec.documentId(event),
    changes,
    evolve(doc, event, id) {
      const changed = changes(doc, event, id);
      if (changed === undefined) return doc;
      return {
        ...doc,
        ...changed,
        lastRevision: Number(event.revision),
        position: event.position.toString(),
      } as D;
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
      const after = view.evolve(docs.get(id) ?? null, event, id);
      if (after !== null) docs.set(id, after);
    }
  }
  return docs;
}
