import type { Document } from '@wfnet/projections';
import type {
  DocumentWrite,
  ListedRow,
  ListQuery,
  OrderedQuery,
  ReadStore,
  TableSpec,
} from './read-store.js';
import { READ_MODELS, satisfies, tagsOf } from './read-store.js';
import { readModelTables } from './tables.js';

interface Row {
  readonly seq: number;
  /** Kept as JSON so readers get fresh objects, as from SQLite, and a non-JSON value shows in tests. */
  readonly json: string;
  readonly columns: Readonly<Record<string, string | null>>;
  /** Its tags, when its table has a tagging. */
  readonly tags: readonly string[];
}

/** Read models in memory: for tests and the `memory` event store, where nothing outlives the process. */
export class MemoryReadStore implements ReadStore {
  readonly description = 'memory';
  readonly #specs: ReadonlyMap<string, TableSpec>;
  #tables = new Map<string, Map<string, Row>>();
  readonly #checkpoints = new Map<string, bigint>();
  #seq = 0;

  constructor(tables: readonly TableSpec[] = readModelTables) {
    this.#specs = new Map(tables.map((t) => [t.name, t]));
    this.reset();
  }

  checkpoint(): bigint {
    return this.#checkpoints.get(READ_MODELS) ?? 0n;
  }

  load(followerId: string): Promise<bigint | undefined> {
    return Promise.resolve(this.#checkpoints.get(followerId));
  }

  save(followerId: string, position: bigint): Promise<void> {
    this.#checkpoints.set(followerId, position);
    return Promise.resolve();
  }

  get<D extends Document>(table: string, id: string): D | undefined {
    const row = this.#table(table).get(id);
    return row && (JSON.parse(row.json) as D);
  }

  list<D extends Document>(
    table: string,
    { filter, oneOf = {}, match, tagged, afterSeq, limit, maxBytes, descending = false }: ListQuery,
  ): ListedRow<D>[] {
    const rows: ListedRow<D>[] = [];
    const conditions = Object.entries(filter);
    const choices = Object.entries(oneOf);
    if (limit === 0) return rows;
    let total = 0;
    // A table's rows are kept in insertion order, which is creation order.
    const inOrder = descending ? [...this.#table(table).values()].reverse() : this.#table(table).values();
    for (const row of inOrder) {
      if (afterSeq !== undefined && (descending ? row.seq >= afterSeq : row.seq <= afterSeq)) continue;
      if (!conditions.every(([column, value]) => row.columns[column] === value)) continue;
      if (!choices.every(([column, values]) => values.some((value) => row.columns[column] === value)))
        continue;
      if (tagged && !row.tags.some((tag) => tagged.includes(tag))) continue;
      const doc = JSON.parse(row.json) as D;
      if (match && !satisfies(doc, match)) continue;
      const bytes = Buffer.byteLength(row.json, 'utf8');
      rows.push({ seq: row.seq, doc, bytes });
      total += bytes;
      if (rows.length === limit || (maxBytes !== undefined && total > maxBytes && rows.length > 1)) break;
    }
    return rows;
  }

  listOrdered<D extends Document>(table: string, { filter, orderBy, atMost, limit }: OrderedQuery): D[] {
    const conditions = Object.entries(filter);
    const picked: { readonly key: string; readonly id: string; readonly row: Row }[] = [];
    for (const [id, row] of this.#table(table)) {
      if (!conditions.every(([column, value]) => row.columns[column] === value)) continue;
      const key = row.columns[orderBy];
      if (typeof key !== 'string' || (atMost !== undefined && key > atMost)) continue;
      picked.push({ key, id, row });
    }
    picked.sort((a, b) => compareStrings(a.key, b.key) || compareStrings(a.id, b.id));
    return picked.slice(0, Math.max(0, limit)).map(({ row }) => JSON.parse(row.json) as D);
  }

  count(table: string, filter: Readonly<Record<string, string>>): number {
    const conditions = Object.entries(filter);
    let count = 0;
    for (const row of this.#table(table).values())
      if (conditions.every(([column, value]) => row.columns[column] === value)) count += 1;
    return count;
  }

  commit(writes: readonly DocumentWrite[], checkpoint: bigint): void {
    // Everything is checked and serialized before the first change, so a failure changes nothing.
    let seq = this.#seq;
    const staged = writes.map(({ table, doc, created }) => {
      const rows = this.#table(table);
      const existing = rows.get(doc.id);
      if (created === (existing !== undefined)) {
        throw new Error(`${table} ${doc.id}: ${created ? 'created again' : 'updated before it was created'}`);
      }
      const row: Row = {
        seq: existing?.seq ?? ++seq,
        json: JSON.stringify(doc),
        columns: this.#columns(table, doc),
        tags: tagsOf(this.#specs.get(table)?.tags, doc),
      };
      return { rows, id: doc.id, row };
    });
    for (const { rows, id, row } of staged) rows.set(id, row);
    this.#seq = seq;
    this.#checkpoints.set(READ_MODELS, checkpoint);
  }

  reset(): void {
    this.#tables = new Map([...this.#specs.keys()].map((name) => [name, new Map<string, Row>()]));
    this.#checkpoints.set(READ_MODELS, 0n);
    this.#seq = 0;
  }

  buildIndexes(): void {}

  /** For the tests: every tag of the table's documents, by document id then tag. */
  taggedRows(table: string): { readonly id: string; readonly tag: string }[] {
    return [...this.#table(table)]
      .flatMap(([id, row]) => row.tags.map((tag) => ({ id, tag })))
      .sort((a, b) => compareStrings(a.id, b.id) || compareStrings(a.tag, b.tag));
  }

  close(): void {}

  #table(name: string): Map<string, Row> {
    const table = this.#tables.get(name);
    if (!table) throw new Error(`no read-model table ${name}`);
    return table;
  }

  #columns(table: string, doc: Document): Record<string, string | null> {
    const spec = this.#specs.get(table) as TableSpec;
    const fields = doc as unknown as Record<string, unknown>;
    return Object.fromEntries(spec.columns.map((c) => [c, typeof fields[c] === 'string' ? fields[c] : null]));
  }
}

/** Code-unit order: SQLite's binary order for the ASCII of ids and ISO times. */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
