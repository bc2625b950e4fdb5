import type { CheckpointStore } from '../followers/checkpoint-store.js';
import type { Document, WorkitemDocument } from '@wfnet/projections';
import { candidateTags } from '@wfnet/projections';

/** How a view's documents are stored: the fields lists filter on, and the indexes that serve the filters. */
export interface TableSpec {
  /** The view's name. */
  readonly name: string;
  /** Document fields (string-valued) copied into columns of their own for filtering. */
  readonly columns: readonly string[];
  /**
   * Column sets a list can seek on, each kept in creation order within equal keys. A list uses the set
   * equal to its filter's columns, else the first set its filter covers: put selective sets first.
   */
  readonly indexes: readonly (readonly string[])[];
  /**
   * How the documents are tagged for lists that ask for one of several tags (`ListQuery.tagged`): a store
   * keeps each document's tags beside it, written with it, and seeks them. Named rather than a function,
   * as table specs cross to replay threads.
   */
  readonly tags?: Tagging;
}

/** The ways of tagging documents (see `TableSpec.tags`). */
export type Tagging = 'workitem-candidates';

/** The tags of a document, by its table's tagging; none when the table has none. */
export function tagsOf(tagging: Tagging | undefined, doc: Document): readonly string[] {
  switch (tagging) {
    case undefined:
      return [];
    case 'workitem-candidates':
      return candidateTags(doc as WorkitemDocument);
    default: {
      const unknown: never = tagging;
      return unknown;
    }
  }
}

export interface DocumentWrite {
  readonly table: string;
  readonly doc: Document;
  /** The document's first write: it takes the next place in creation order. */
  readonly created: boolean;
  /** For an update, the version the store holds: a store may skip indexes whose columns did not change. */
  readonly previous?: Document;
}

/**
 * A condition on a document's own fields, for a list that columns cannot narrow alone (arrays, claims). A
 * store checks it in place (SQLite: its JSON functions), without handing over the rows it refuses.
 */
export type DocumentCondition =
  | { readonly allOf: readonly DocumentCondition[] }
  | { readonly anyOf: readonly DocumentCondition[] }
  /** The field is absent or null. */
  | { readonly field: string; readonly isNull: true }
  | { readonly field: string; readonly equals: string | boolean }
  /** The field is an array holding one of these strings. */
  | { readonly field: string; readonly hasOneOf: readonly string[] }
  /** The field is absent or an empty array. */
  | { readonly field: string; readonly isEmpty: true };

/** Whether the document satisfies the condition: how the memory store checks it. */
export function satisfies(doc: Document, condition: DocumentCondition): boolean {
  if ('allOf' in condition) return condition.allOf.every((c) => satisfies(doc, c));
  if ('anyOf' in condition) return condition.anyOf.some((c) => satisfies(doc, c));
  const value = (doc as unknown as Record<string, unknown>)[condition.field];
  if ('isNull' in condition) return value === undefined || value === null;
  if ('equals' in condition) return value === condition.equals;
  if ('hasOneOf' in condition) {
    return Array.isArray(value) && value.some((item) => condition.hasOneOf.includes(item as string));
  }
  return value === undefined || (Array.isArray(value) && value.length === 0);
}

export interface ListQuery {
  /** Column → value; every one must match. */
  readonly filter: Readonly<Record<string, string>>;
  /** Column → values: the column must hold one of them. */
  readonly oneOf?: Readonly<Record<string, readonly string[]>>;
  /**
   * A condition on the fields of each document the columns let through, checked as the rows are read (so
   * the columns should narrow them first); `limit` and `maxBytes` count only the rows it keeps.
   */
  readonly match?: DocumentCondition;
  /**
   * Only documents holding one of these tags (see `TableSpec.tags`), sought on the tags rather than by
   * reading the rows: the filter, `oneOf` and `match` still apply to the rows found.
   */
  readonly tagged?: readonly string[];
  /** Only rows after this place in the list's order: a higher `seq`, or a lower one when `descending`. */
  readonly afterSeq?: number;
  /** Newest first: in reverse creation order. */
  readonly descending?: boolean;
  /** At most this many rows; all when absent. */
  readonly limit?: number;
  /**
   * Stops once the rows' `bytes` pass this and there are at least two, so that a list of large documents is
   * not read whole: a caller keeping the rows within the bound (at least one) learns from the row after
   * them whether more follow. No bound when absent.
   */
  readonly maxBytes?: number;
}

/** Rows in the order of one column's values (then by id), for a list that is not in creation order. */
export interface OrderedQuery {
  /** Column → value; every one must match. */
  readonly filter: Readonly<Record<string, string>>;
  /** The column the rows are ordered by, compared as strings. */
  readonly orderBy: string;
  /** Only rows whose `orderBy` column is at most this. */
  readonly atMost?: string;
  readonly limit: number;
}

export interface ListedRow<D extends Document = Document> {
  /** The document's place in creation order. */
  readonly seq: number;
  readonly doc: D;
  /** The size of the document as stored JSON, in bytes of UTF-8. */
  readonly bytes: number;
}

/** The read models' own checkpoint among the followers' checkpoints. */
export const READ_MODELS = 'read-models';

/**
 * Where read models live: one table of documents per view, and the checkpoint of every follower of the
 * store, theirs (`read-models`) moved with their documents. Synchronous on purpose: both stores (memory,
 * better-sqlite3) are, and the runner's batch must commit without interleaving.
 */
export interface ReadStore extends CheckpointStore {
  readonly description: string;
  /** The position of the last event whose effects are stored; 0n when nothing is. */
  checkpoint(): bigint;
  get<D extends Document>(table: string, id: string): D | undefined;
  list<D extends Document>(table: string, query: ListQuery): ListedRow<D>[];
  /**
   * The first `limit` documents in `orderBy` order (then by id). A store serves it from an index whose
   * columns are the filter's, then `orderBy`, then `id`, without reading the rows past the limit.
   */
  listOrdered<D extends Document>(table: string, query: OrderedQuery): D[];
  /** How many documents match `filter` (column → value), counted on the list index that serves the filter. */
  count(table: string, filter: Readonly<Record<string, string>>): number;
  /** Writes documents and moves the checkpoint, all or nothing. */
  commit(writes: readonly DocumentWrite[], checkpoint: bigint): void;
  /**
   * Drops every document and sets their checkpoint back to 0n (other followers' stay). With `deferIndexes` the list indexes are
   * left out until `buildIndexes` (a replay writes faster without them; lists still answer, by scanning).
   */
  reset(options?: { readonly deferIndexes?: boolean }): void;
  /** Creates any list index that is missing. */
  buildIndexes(): void;
  close(): void;
}

/**
 * A read store that hands every call to `inner`: tests and tools extend it to observe or disturb the
 * commits (or anything else) of a real store, and leave the rest as it is.
 */
export class DelegatingReadStore implements ReadStore {
  constructor(readonly inner: ReadStore) {}

  get description(): string {
    return this.inner.description;
  }
  checkpoint(): bigint {
    return this.inner.checkpoint();
  }
  load(followerId: string): Promise<bigint | undefined> {
    return this.inner.load(followerId);
  }
  save(followerId: string, position: bigint): Promise<void> {
    return this.inner.save(followerId, position);
  }
  get<D extends Document>(table: string, id: string): D | undefined {
    return this.inner.get<D>(table, id);
  }
  list<D extends Document>(table: string, query: ListQuery): ListedRow<D>[] {
    return this.inner.list<D>(table, query);
  }
  listOrdered<D extends Document>(table: string, query: OrderedQuery): D[] {
    return this.inner.listOrdered<D>(table, query);
  }
  count(table: string, filter: Readonly<Record<string, string>>): number {
    return this.inner.count(table, filter);
  }
  commit(writes: readonly DocumentWrite[], checkpoint: bigint): void {
    this.inner.commit(writes, checkpoint);
  }
  reset(options?: { readonly deferIndexes?: boolean }): void {
    this.inner.reset(options);
  }
  buildIndexes(): void {
    this.inner.buildIndexes();
  }
  close(): void {
    this.inner.close();
  }
}

/** The index a list with these filter columns seeks on, or undefined for a scan in creation order. */
export function chooseIndex(table: TableSpec, columns: readonly string[]): readonly string[] | undefined {
  const wanted = new Set(columns);
  const covered = table.indexes.filter((index) => index.every((c) => wanted.has(c)));
  return covered.find((index) => index.length === wanted.size) ?? covered[0];
}
