import type { RecordedEvent } from '@wfnet/domain';
import type { Document, ProjectedEvent, View } from '@wfnet/projections';
import type { DocumentWrite } from './read-store.js';

/** A document a batch changed, to be written as it is once the batch is applied. */
export interface ProjectedWrite extends DocumentWrite {
  doc: Document;
  /** The position of the event that first changed the document in this batch: writes are in its order. */
  at: bigint;
}

/** What a view reads of a recorded event. */
export type ProjectableEvent = Pick<RecordedEvent, 'type' | 'data' | 'revision' | 'position'>;

/** Where a document the cache does not hold is read from: the read store, as of its last commit. */
export type StoredDocument = (table: string, id: string) => Document | undefined;

/**
 * Recently written documents of one read model, up to about a bound: the runner is the only writer, so
 * what it wrote is what the store holds, and live cases touch the same few documents again and again.
 * Two generations instead of a strict LRU: dropping a whole map is O(1), where deleting a Map's oldest
 * keys one by one leaves V8 scanning tombstones.
 */
class DocumentCache {
  #current = new Map<string, Document>();
  #previous = new Map<string, Document>();

  constructor(private readonly generationSize: number) {}

  get(id: string): Document | undefined {
    const doc = this.#current.get(id);
    if (doc !== undefined) return doc;
    const old = this.#previous.get(id);
    if (old !== undefined) this.set(old);
    return old;
  }

  set(doc: Document): void {
    if (this.generationSize === 0) return;
    this.#current.set(doc.id, doc);
    if (this.#current.size >= this.generationSize) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
  }
}

interface Entry extends Omit<ProjectedWrite, 'doc'> {
  /** Null while no event has created the document. */
  doc: Document | null;
  dirty: boolean;
  /** `doc` is this batch's own copy, which no cache or store holds yet: it may change in place. */
  owned: boolean;
}

/**
 * Folds batches of events into the documents they change, reading the documents it has not cached from
 * the store. It writes nothing itself: the caller commits the writes, then calls `remember`.
 */
export class Projector {
  readonly #byType = new Map<string, View[]>();
  readonly #creates = new Map<View, ReadonlySet<string>>();
  /** By read model. */
  #caches = new Map<string, DocumentCache>();
  #cacheSize: number;

  constructor(
    views: readonly View[],
    private readonly stored: StoredDocument,
    /** Documents kept per read model between batches: between this many and twice as many. */
    cacheSize: number,
  ) {
    for (const view of views) {
      this.#creates.set(view, new Set(view.creates));
      for (const type of view.handles) {
        const handling = this.#byType.get(type);
        if (handling) handling.push(view);
        else this.#byType.set(type, [view]);
      }
    }
    this.#cacheSize = cacheSize;
  }

  /** Forgets every cached document, and keeps up to `cacheSize` from now on. */
  reset(cacheSize = this.#cacheSize): void {
    this.#cacheSize = cacheSize;
    this.#caches.clear();
  }

  /**
   * The writes that the events past position `after` make, in the order of their first change: a new
   * document's first change is its creation, so creation order is kept. With `careful`, each document
   * is looked up in the store, even one a creation event names.
   */
  project(events: readonly ProjectableEvent[], after: bigint, careful: boolean): ProjectedWrite[] {
    const entries = new Map<View, Map<string, Entry>>();
    const writes: Entry[] = [];
    // A case's document sees every event of its stream in a replay: copying it each time (what the view's
    // pure `evolve` does) would be most of the cost, so the batch's own copy is changed in place, and the
    // event's revision and position are converted once however many documents it touches.
    let stamp = { lastRevision: -1, position: '0' };
    const touch = (view: View, docs: Map<string, Entry>, id: string, event: ProjectedEvent): void => {
      let entry = docs.get(id);
      if (!entry) {
        entry = this.#load(view, id, event.type, careful);
        docs.set(id, entry);
      }
      const changed = view.changes(entry.doc, event, id);
      if (changed === undefined) return;
      // For a document not created yet, the changes are a whole new document that nobody else holds.
      const doc = (entry.doc === null ? changed : entry.owned ? entry.doc : { ...entry.doc }) as {
        -readonly [K in keyof Document]: Document[K];
      };
      if (doc !== changed) Object.assign(doc, changed);
      doc.lastRevision = stamp.lastRevision;
      doc.position = stamp.position;
      entry.doc = doc;
      entry.owned = true;
      if (!entry.dirty) {
        entry.dirty = true;
        entry.at = event.position;
        writes.push(entry);
      }
    };
    for (const recorded of events) {
      if (recorded.position <= after) continue;
      const views = this.#byType.get(recorded.type);
      if (!views) continue;
      // The store gives data as `unknown`; the event's type tag is what says its shape.
      const event = recorded as unknown as ProjectedEvent;
      stamp = { lastRevision: Number(event.revision), position: event.position.toString() };
      for (const view of views) {
        let docs = entries.get(view);
        if (!docs) {
          docs = new Map();
          entries.set(view, docs);
        }
        const ids = view.documentId(event);
        if (typeof ids === 'string') touch(view, docs, ids, event);
        else for (const id of ids) touch(view, docs, id, event);
      }
    }
    return writes as ProjectedWrite[];
  }

  /** The store now holds these writes: later batches may take the documents from memory. */
  remember(writes: readonly ProjectedWrite[]): void {
    for (const { table, doc } of writes) this.#cache(table).set(doc);
  }

  #cache(table: string): DocumentCache {
    let cache = this.#caches.get(table);
    if (!cache) {
      cache = new DocumentCache(this.#cacheSize);
      this.#caches.set(table, cache);
    }
    return cache;
  }

  /**
   * The document as the store holds it, or null. Every event past the checkpoint is new to the
   * store, so a creation event names a document the store cannot hold yet: no need to ask it.
   */
  #load(view: View, id: string, type: string, careful: boolean): Entry {
    const table = view.name;
    const cached = this.#cache(table).get(id);
    if (cached)
      return { table, doc: cached, created: false, previous: cached, dirty: false, owned: false, at: 0n };
    const stored = careful || !this.#creates.get(view)?.has(type) ? this.stored(table, id) : undefined;
    return {
      table,
      doc: stored ?? null,
      created: stored === undefined,
      previous: stored,
      dirty: false,
      // A stored document may be shared (a memory store's own): the first change copies it.
      owned: false,
      at: 0n,
    };
  }
}
