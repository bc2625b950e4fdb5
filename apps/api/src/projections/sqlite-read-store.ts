import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { Document } from '@wfnet/projections';
import type {
  DocumentWrite,
  ListedRow,
  ListQuery,
  OrderedQuery,
  ReadStore,
  TableSpec,
} from './read-store.js';
import { READ_MODELS, chooseIndex, tagsOf } from './read-store.js';
import type { DocumentCondition } from './read-store.js';
import { acquireWriterLock, realFile } from '../sqlite/writer-lock.js';
import { READ_MODEL_VERSION, readModelTables } from './tables.js';

function sameColumns(spec: TableSpec, a: Document, b: Document): boolean {
  const left = a as unknown as Record<string, unknown>;
  const right = b as unknown as Record<string, unknown>;
  return spec.columns.every((c) => left[c] === right[c]);
}

const sameTags = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((tag, i) => tag === b[i]);

/** Which statement a write runs; `updateDoc` rewrites the document only, as no filter column or tag changed. */
type WriteStatement = 'insert' | 'update' | 'updateDoc';

/**
 * Document writes ready for the statements, flattened into one array of plain values so that a batch
 * crosses threads as one array instead of an object per write. Each write is its table, statement, id
 * and JSON, followed, unless the statement is `updateDoc`, by the table's filter columns and, for a table
 * with tags, null when an update keeps them, else their number and the tags.
 */
export type PreparedWrites = (string | null)[];

/** Appends a write to `into`, serialized and with its filter columns drawn out. */
export function prepareWrite(
  into: PreparedWrites,
  spec: TableSpec,
  { table, doc, created, previous }: DocumentWrite,
): void {
  const json = JSON.stringify(doc);
  const tags = tagsOf(spec.tags, doc);
  const keepsTags = previous !== undefined && !created && sameTags(tags, tagsOf(spec.tags, previous));
  if (previous !== undefined && !created && sameColumns(spec, doc, previous) && keepsTags) {
    into.push(table, 'updateDoc', doc.id, json);
    return;
  }
  into.push(table, created ? 'insert' : 'update', doc.id, json);
  const fields = doc as unknown as Record<string, unknown>;
  for (const column of spec.columns) {
    const value = fields[column];
    into.push(typeof value === 'string' ? value : null);
  }
  if (spec.tags === undefined) return;
  if (keepsTags) into.push(null);
  else into.push(String(tags.length), ...tags);
}

/** Named like the table the dispatcher kept its checkpoint in, so that files from before keep it. */
const CREATE_CHECKPOINTS =
  'CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)';

export interface SqliteReadStoreOptions {
  readonly tables?: readonly TableSpec[];
  /** The version stored beside the tables; another version found on open drops them all. */
  readonly version?: number;
  /**
   * Another connection of this process opened the file first, holds its writer lock and made its
   * tables: this one, in another thread, writes beside it and leaves the tables as they are.
   */
  readonly beside?: boolean;
}

const snake = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const tableName = (name: string): string => `rm_${name}`;
const indexName = (name: string, columns: readonly string[]): string =>
  `rm_${name}_by_${columns.map(snake).join('_')}`;
/** A table's tags, one row per document and tag, keyed by the document's `seq`. */
const tagTableName = (name: string): string => `rm_${name}_tags`;
const tagIndexName = (name: string): string => `rm_${name}_tags_by_tag`;

/**
 * A tagged list seeks each tag on its own, in `seq` order, and merges them as they are read (a compound
 * SELECT ordered by `seq`), so that it stops once the page is full. SQLite bounds a compound's parts
 * (500 by default): past this many tags the list first gathers every tag's `seq`s into one sorted list,
 * however many there are, and reads the documents in its order.
 */
const MAX_MERGED_TAGS = 64;

interface TableStatements {
  readonly spec: TableSpec;
  readonly get: Statement<[string], string>;
  readonly insert: Statement<unknown[]>;
  readonly update: Statement<unknown[]>;
  /** Rewrites the document only: its indexed columns did not change, so no index entry moves. */
  readonly updateDoc: Statement<[string, string]>;
  /** For a table with tags: its document's `seq`, and the statements that rewrite its tags. */
  readonly tagWrites:
    | {
        readonly seqOf: Statement<[string], number>;
        readonly deleteTags: Statement<[number]>;
        readonly insertTag: Statement<[number, string]>;
      }
    | undefined;
  readonly lists: Map<string, Statement<unknown[], { seq: number; doc: string }>>;
  readonly counts: Map<string, Statement<unknown[], number>>;
  readonly ordered: Map<string, Statement<unknown[], string>>;
}

/**
 * Read models in SQLite: per view a table of JSON documents, with the filterable fields copied into
 * indexed columns and the rowid (`seq`) giving creation order; beside them the followers' `checkpoints`.
 * It opens its own connection, possibly to the event store's file (its tables are prefixed `rm_`): WAL
 * lets both write from one process.
 */
export class SqliteReadStore implements ReadStore {
  readonly description: string;
  readonly #db: Database.Database;
  readonly #lock: Database.Database | undefined;
  readonly tables: readonly TableSpec[];
  readonly #version: string;
  readonly #beside: boolean;
  #tables = new Map<string, TableStatements>();
  #indexes = new Set<string>();
  #readCheckpoint!: Statement<[string], bigint>;
  #writeCheckpoint!: Statement<[string, bigint]>;
  readonly #commit: (writes: readonly DocumentWrite[], checkpoint: bigint) => void;
  readonly #commitPrepared: (writes: PreparedWrites, checkpoint: bigint) => void;

  static open(file: string, options: SqliteReadStoreOptions = {}): SqliteReadStore {
    return new SqliteReadStore(file, options);
  }

  private constructor(
    readonly file: string,
    options: SqliteReadStoreOptions,
  ) {
    this.description = `sqlite:${file}`;
    this.tables = options.tables ?? readModelTables;
    this.#version = String(options.version ?? READ_MODEL_VERSION);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const beside = options.beside === true && file !== ':memory:';
    this.#beside = beside;
    this.#lock = file === ':memory:' || beside ? undefined : lockWriter(file);
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: 5000, fileMustExist: beside });
      db.pragma('journal_mode = WAL');
      // A commit lost to a power cut loses its checkpoint with it: the runner applies those events again.
      db.pragma('synchronous = NORMAL');
      db.pragma('cache_size = -65536');
      this.#db = db;
      if (!beside) {
        const stored = this.#storedVersion();
        db.transaction(() => {
          this.#db.exec(CREATE_CHECKPOINTS);
          if (stored !== this.#version) this.#dropAll();
          else this.#moveOldCheckpoint();
          this.#create();
        })();
      }
    } catch (error) {
      db?.close();
      this.#lock?.close();
      throw error;
    }
    this.#prepare();
    this.#commit = this.#db.transaction((writes: readonly DocumentWrite[], checkpoint: bigint) => {
      const prepared: PreparedWrites = [];
      for (const write of writes) {
        prepared.length = 0;
        prepareWrite(prepared, this.#statements(write.table).spec, write);
        this.#write(prepared, 0);
      }
      this.#writeCheckpoint.run(READ_MODELS, checkpoint);
    });
    this.#commitPrepared = this.#db.transaction((writes: PreparedWrites, checkpoint: bigint) => {
      for (let at = 0; at < writes.length;) at = this.#write(writes, at);
      this.#writeCheckpoint.run(READ_MODELS, checkpoint);
    });
  }

  checkpoint(): bigint {
    return this.#readCheckpoint.get(READ_MODELS) ?? 0n;
  }

  load(followerId: string): Promise<bigint | undefined> {
    return Promise.resolve(this.#readCheckpoint.get(followerId));
  }

  save(followerId: string, position: bigint): Promise<void> {
    this.#writeCheckpoint.run(followerId, position);
    return Promise.resolve();
  }

  get<D extends Document>(table: string, id: string): D | undefined {
    const json = this.#statements(table).get.get(id);
    return json === undefined ? undefined : (JSON.parse(json) as D);
  }

  list<D extends Document>(table: string, query: ListQuery): ListedRow<D>[] {
    const { maxBytes } = query;
    const rows: ListedRow<D>[] = [];
    if (query.tagged?.length === 0) return rows;
    const { statement, params } = this.#listStatement(table, query);
    let total = 0;
    for (const { seq, doc } of statement.iterate(...params)) {
      const bytes = Buffer.byteLength(doc, 'utf8');
      rows.push({ seq, doc: JSON.parse(doc) as D, bytes });
      total += bytes;
      // Leaving the loop early ends the statement: the rows after are never read.
      if (maxBytes !== undefined && total > maxBytes && rows.length > 1) break;
    }
    return rows;
  }

  /** The statement of a list, and its parameters. */
  #listStatement(
    table: string,
    { filter, oneOf = {}, match, tagged, afterSeq, limit, descending = false }: ListQuery,
  ): { statement: Statement<unknown[], { seq: number; doc: string }>; params: unknown[] } {
    const statements = this.#statements(table);
    const columns = Object.keys(filter).sort();
    const choices = Object.keys(oneOf)
      .sort()
      .map((column) => ({ column, values: oneOf[column] ?? [] }));
    const condition = match && conditionSql(match);
    const tags = tagged && [...new Set(tagged)];
    if (tags !== undefined && statements.tagWrites === undefined) throw new Error(`${table} keeps no tags`);
    const key = [
      columns.join(','),
      ...choices.map(({ column, values }) => `${column}:${values.length}`),
      condition?.sql ?? '',
      descending ? 'desc' : '',
      tags === undefined ? '' : `tagged:${tags.length}`,
    ].join('|');
    let statement = statements.lists.get(key);
    if (!statement) {
      statement =
        tags === undefined
          ? this.#prepareList(statements.spec, columns, choices, condition?.sql, descending)
          : this.#prepareTaggedList(
              statements.spec,
              rowConditions(columns, choices, condition?.sql),
              tags.length,
              descending,
            );
      statements.lists.set(key, statement);
    }
    const rowParams = [
      ...columns.map((c) => filter[c]),
      ...choices.flatMap(({ values }) => values),
      ...(condition?.params ?? []),
    ];
    const after = afterSeq ?? (descending ? Number.MAX_SAFE_INTEGER : 0);
    const params =
      tags === undefined
        ? [...rowParams, after]
        : tags.length <= MAX_MERGED_TAGS
          ? tags.flatMap((tag) => [tag, after, ...rowParams])
          : [...tags, after, ...rowParams];
    return { statement, params: [...params, limit ?? -1] };
  }

  listOrdered<D extends Document>(table: string, { filter, orderBy, atMost, limit }: OrderedQuery): D[] {
    const statements = this.#statements(table);
    const columns = Object.keys(filter).sort();
    const key = `${columns.join(',')}|${orderBy}|${atMost === undefined ? '' : '<='}`;
    let statement = statements.ordered.get(key);
    if (!statement) {
      statement = this.#prepareOrdered(statements.spec, columns, orderBy, atMost !== undefined);
      statements.ordered.set(key, statement);
    }
    const values = [...columns.map((c) => filter[c]), ...(atMost === undefined ? [] : [atMost])];
    return statement.all(...values, Math.max(0, limit)).map((doc) => JSON.parse(doc) as D);
  }

  count(table: string, filter: Readonly<Record<string, string>>): number {
    const statements = this.#statements(table);
    const columns = Object.keys(filter).sort();
    const key = columns.join(',');
    let statement = statements.counts.get(key);
    if (!statement) {
      statement = this.#prepareCount(statements.spec, columns);
      statements.counts.set(key, statement);
    }
    return statement.get(...columns.map((c) => filter[c])) ?? 0;
  }

  commit(writes: readonly DocumentWrite[], checkpoint: bigint): void {
    this.#commit(writes, checkpoint);
  }

  /** `commit` for writes prepared beforehand (by `prepareWrite`, possibly on another thread). */
  commitPrepared(writes: PreparedWrites, checkpoint: bigint): void {
    this.#commitPrepared(writes, checkpoint);
  }

  /** Runs the prepared write at `at`; answers where the next one starts. */
  #write(writes: PreparedWrites, at: number): number {
    const table = writes[at] as string;
    const statement = writes[at + 1] as WriteStatement;
    const id = writes[at + 2] as string;
    const json = writes[at + 3] as string;
    const statements = this.#statements(table);
    if (statement === 'updateDoc') {
      if (statements.updateDoc.run(json, id).changes !== 1) throw notCreated(table, id);
      return at + 4;
    }
    const end = at + 4 + statements.spec.columns.length;
    const columns = writes.slice(at + 4, end);
    let seq: number | undefined;
    if (statement === 'insert') seq = Number(statements.insert.run(id, ...columns, json).lastInsertRowid);
    else if (statements.update.run(...columns, json, id).changes !== 1) throw notCreated(table, id);
    const { tagWrites } = statements;
    if (tagWrites === undefined) return end;
    if (writes[end] === null) return end + 1;
    const count = Number(writes[end]);
    if (seq === undefined) {
      seq = tagWrites.seqOf.get(id);
      if (seq === undefined) throw notCreated(table, id);
      tagWrites.deleteTags.run(seq);
    }
    for (let i = end + 1; i <= end + count; i++) tagWrites.insertTag.run(seq, writes[i] as string);
    return end + 1 + count;
  }

  reset(options: { readonly deferIndexes?: boolean } = {}): void {
    this.#db.transaction(() => {
      this.#dropAll();
      // Statements of the connection beside this one name the indexes: they must stay.
      this.#create(this.#beside || !options.deferIndexes);
    })();
    this.#prepare();
  }

  buildIndexes(): void {
    this.#db.transaction(() => this.#createIndexes())();
    this.#prepare();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
    if (this.#lock?.open) this.#lock.close();
  }

  #storedVersion(): string | undefined {
    const meta = this.#db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rm_meta'")
      .get();
    if (meta === undefined) return undefined;
    return this.#db.prepare<[], string>("SELECT value FROM rm_meta WHERE key = 'version'").pluck().get();
  }

  #dropAll(): void {
    const tables = this.#db
      .prepare<[], string>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm\\_%' ESCAPE '\\'",
      )
      .pluck()
      .all();
    for (const name of tables) this.#db.exec(`DROP TABLE "${name}"`);
    this.#db.prepare('DELETE FROM checkpoints WHERE name = ?').run(READ_MODELS);
  }

  /**
   * Takes the other followers' checkpoints (the dispatcher's) from `file`, where read models were kept
   * before, while this store holds none of its own: when the read models move to a file of their own,
   * the followers resume where they were, and only the read models are made again. The names taken.
   */
  adoptCheckpoints(file: string): readonly string[] {
    const held = this.#db
      .prepare<[string], number>('SELECT count(*) FROM checkpoints WHERE name <> ?')
      .pluck()
      .get(READ_MODELS);
    if (held !== 0) return [];
    const before = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const table = before
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'")
        .get();
      if (table === undefined) return [];
      const rows = before
        .prepare<[string], { name: string; position: bigint }>(
          'SELECT name, position FROM checkpoints WHERE name <> ?',
        )
        .safeIntegers(true)
        .all(READ_MODELS);
      this.#db.transaction(() => {
        for (const { name, position } of rows) this.#writeCheckpoint.run(name, position);
      })();
      return rows.map(({ name }) => name);
    } finally {
      before.close();
    }
  }

  /** Files written before the followers shared one table kept the read models' checkpoint apart. */
  #moveOldCheckpoint(): void {
    const old = this.#db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rm_checkpoint'")
      .get();
    if (old === undefined) return;
    this.#db
      .prepare(
        'INSERT OR REPLACE INTO checkpoints (name, position) SELECT ?, position FROM rm_checkpoint WHERE id = 1',
      )
      .run(READ_MODELS);
    this.#db.exec('DROP TABLE rm_checkpoint');
  }

  #create(withIndexes = true): void {
    const db = this.#db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS rm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    db.prepare('INSERT OR IGNORE INTO checkpoints (name, position) VALUES (?, 0)').run(READ_MODELS);
    db.prepare("INSERT OR REPLACE INTO rm_meta (key, value) VALUES ('version', ?)").run(this.#version);
    for (const spec of this.tables) {
      const columns = spec.columns.map((c) => `${snake(c)} TEXT`).join(', ');
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${tableName(spec.name)} (` +
          `seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ${columns ? `${columns}, ` : ''}doc TEXT NOT NULL)`,
      );
      // Keyed by seq first, so that rewriting a document's tags seeks them while a rebuild defers the indexes.
      if (spec.tags !== undefined) {
        db.exec(
          `CREATE TABLE IF NOT EXISTS ${tagTableName(spec.name)} (` +
            'seq INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (seq, tag)) WITHOUT ROWID',
        );
      }
    }
    if (withIndexes) this.#createIndexes();
  }

  #createIndexes(): void {
    for (const spec of this.tables) {
      // An index of a rowid table ends with the rowid, so each one also keeps creation order within a key.
      for (const index of spec.indexes) {
        this.#db.exec(
          `CREATE INDEX IF NOT EXISTS ${indexName(spec.name, index)} ON ${tableName(spec.name)} (${index.map(snake).join(', ')})`,
        );
      }
      if (spec.tags !== undefined) {
        this.#db.exec(
          `CREATE INDEX IF NOT EXISTS ${tagIndexName(spec.name)} ON ${tagTableName(spec.name)} (tag, seq)`,
        );
      }
    }
  }

  #prepare(): void {
    const db = this.#db;
    this.#indexes = new Set(
      db
        .prepare<[], string>(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'rm\\_%' ESCAPE '\\'",
        )
        .pluck()
        .all(),
    );
    this.#readCheckpoint = db
      .prepare<[string], bigint>('SELECT position FROM checkpoints WHERE name = ?')
      .pluck()
      .safeIntegers(true);
    this.#writeCheckpoint = db.prepare<[string, bigint]>(
      'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
    );
    this.#tables = new Map(
      this.tables.map((spec) => {
        const table = tableName(spec.name);
        const columns = spec.columns.map(snake);
        return [
          spec.name,
          {
            spec,
            get: db.prepare<[string], string>(`SELECT doc FROM ${table} WHERE id = ?`).pluck(),
            insert: db.prepare<unknown[]>(
              `INSERT INTO ${table} (id, ${[...columns, 'doc'].join(', ')}) VALUES (${['id', ...columns, 'doc'].map(() => '?').join(', ')})`,
            ),
            update: db.prepare<unknown[]>(
              `UPDATE ${table} SET ${[...columns, 'doc'].map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
            ),
            updateDoc: db.prepare<[string, string]>(`UPDATE ${table} SET doc = ? WHERE id = ?`),
            tagWrites:
              spec.tags === undefined
                ? undefined
                : {
                    seqOf: db.prepare<[string], number>(`SELECT seq FROM ${table} WHERE id = ?`).pluck(),
                    deleteTags: db.prepare<[number]>(`DELETE FROM ${tagTableName(spec.name)} WHERE seq = ?`),
                    insertTag: db.prepare<[number, string]>(
                      `INSERT INTO ${tagTableName(spec.name)} (seq, tag) VALUES (?, ?)`,
                    ),
                  },
            lists: new Map(),
            counts: new Map(),
            ordered: new Map(),
          },
        ];
      }),
    );
  }

  /** The `INDEXED BY` clause of a list or count with these filter columns; none while a rebuild defers the indexes. */
  #indexedBy(spec: TableSpec, columns: readonly string[]): string {
    const index = chooseIndex(spec, columns);
    const name = index && indexName(spec.name, index);
    return name !== undefined && this.#indexes.has(name) ? ` INDEXED BY ${name}` : '';
  }

  #prepareList(
    spec: TableSpec,
    columns: readonly string[],
    choices: readonly { readonly column: string; readonly values: readonly string[] }[] = [],
    match?: string,
    descending = false,
  ): Statement<unknown[], { seq: number; doc: string }> {
    // While a rebuild defers the indexes, a list scans instead. Without an index for equal columns, a column
    // of several values is read in creation order too: an index on it would have SQLite sort every row it
    // finds before answering the first, where this order stops once the page is full.
    const indexedBy = this.#indexedBy(spec, columns) || (choices.length > 0 ? ' NOT INDEXED' : '');
    const conditions = [...rowConditions(columns, choices, match), descending ? 'seq < ?' : 'seq > ?'].join(
      ' AND ',
    );
    // An index entry ends with the rowid, so the index serves either direction without sorting.
    return this.#db.prepare(
      `SELECT seq, doc FROM ${tableName(spec.name)}${indexedBy} WHERE ${conditions} ORDER BY seq${descending ? ' DESC' : ''} LIMIT ?`,
    );
  }

  /**
   * A list of the documents holding one of `tags` tags. Each tag is sought on the tag index from the
   * cursor on, in `seq` order, its documents joined by their `seq` and checked; a compound SELECT merges the
   * tags' `seq`s in that order, a document holding several tags once, as the outer query reads them, which
   * stops at the limit and reads only then the documents it answers. Parameters: per tag the tag, the
   * cursor and the row conditions', then the limit (past `MAX_MERGED_TAGS`: the tags, the cursor, the row
   * conditions', the limit).
   */
  #prepareTaggedList(
    spec: TableSpec,
    rowConditions: readonly string[],
    tags: number,
    descending: boolean,
  ): Statement<unknown[], { seq: number; doc: string }> {
    const table = tableName(spec.name);
    const tagTable = tagTableName(spec.name);
    const direction = descending ? ' DESC' : '';
    const where = (conditions: readonly string[]) => conditions.join(' AND ');
    if (tags > MAX_MERGED_TAGS) {
      // NOT INDEXED: the rows come by rowid from the sorted list of the tags' seqs, not from a filter
      // column's index that would need sorting.
      const matching = `seq IN (SELECT seq FROM ${tagTable} WHERE tag IN (${Array.from({ length: tags }, () => '?').join(', ')}))`;
      return this.#db.prepare(
        `SELECT seq, doc FROM ${table} NOT INDEXED WHERE ${where([matching, descending ? 'seq < ?' : 'seq > ?', ...rowConditions])} ORDER BY seq${direction} LIMIT ?`,
      );
    }
    // CROSS JOIN keeps the tag outermost, so that its rows come in the tag index's order.
    const part = `SELECT t.seq AS seq FROM ${tagTable} AS t CROSS JOIN ${table} AS d ON d.seq = t.seq WHERE ${where(
      ['t.tag = ?', descending ? 't.seq < ?' : 't.seq > ?', ...rowConditions],
    )}`;
    const merged = `${Array.from({ length: tags }, () => part).join(' UNION ')} ORDER BY 1${direction}`;
    return this.#db.prepare(
      `SELECT m.seq AS seq, d.doc AS doc FROM (${merged}) AS m CROSS JOIN ${table} AS d ON d.seq = m.seq ORDER BY m.seq${direction} LIMIT ?`,
    );
  }

  #prepareCount(spec: TableSpec, columns: readonly string[]): Statement<unknown[], number> {
    const where = columns.length > 0 ? ` WHERE ${columns.map((c) => `${snake(c)} = ?`).join(' AND ')}` : '';
    return this.#db
      .prepare<unknown[], number>(
        `SELECT count(*) FROM ${tableName(spec.name)}${this.#indexedBy(spec, columns)}${where}`,
      )
      .pluck();
  }

  #prepareOrdered(
    spec: TableSpec,
    columns: readonly string[],
    orderBy: string,
    bounded: boolean,
  ): Statement<unknown[], string> {
    if (!spec.columns.includes(orderBy)) throw new Error(`${spec.name} has no column ${orderBy}`);
    const conditions = [
      ...columns.map((c) => `${snake(c)} = ?`),
      ...(bounded ? [`${snake(orderBy)} <= ?`] : []),
    ];
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    return this.#db
      .prepare<unknown[], string>(
        `SELECT doc FROM ${tableName(spec.name)}${where} ORDER BY ${snake(orderBy)}, id LIMIT ?`,
      )
      .pluck();
  }

  /** For the int tests: the plan SQLite picks for an ordered list with these filter columns. */
  explainOrdered(table: string, columns: readonly string[], orderBy: string): string[] {
    const statement = this.#prepareOrdered(this.#statements(table).spec, [...columns].sort(), orderBy, true);
    return this.#db
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${statement.source}`)
      .all(...columns.map(() => 'x'), 'x', 10)
      .map((r) => r.detail);
  }

  #statements(table: string): TableStatements {
    const statements = this.#tables.get(table);
    if (!statements) throw new Error(`no read-model table ${table}`);
    return statements;
  }

  /** For the int tests: the plan SQLite picks for a list with these filter columns. */
  explainList(table: string, columns: readonly string[], descending = false): string[] {
    const statement = this.#prepareList(
      this.#statements(table).spec,
      [...columns].sort(),
      [],
      undefined,
      descending,
    );
    const sql = statement.source;
    return this.#db
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...columns.map(() => 'x'), 0, 10)
      .map((r) => r.detail);
  }

  /** For the int tests: the plan SQLite picks for a list. */
  explainQuery(table: string, query: ListQuery): string[] {
    const { statement, params } = this.#listStatement(table, query);
    return this.#db
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${statement.source}`)
      .all(...params)
      .map((r) => r.detail);
  }

  /** For the tests: every tag of the table's documents, by document id then tag. */
  taggedRows(table: string): { readonly id: string; readonly tag: string }[] {
    return this.#db
      .prepare<[], { id: string; tag: string }>(
        `SELECT d.id AS id, t.tag AS tag FROM ${tagTableName(table)} AS t JOIN ${tableName(table)} AS d ON d.seq = t.seq ORDER BY d.id, t.tag`,
      )
      .all();
  }

  /** For the int tests: the plan SQLite picks for a count with these filter columns. */
  explainCount(table: string, columns: readonly string[]): string[] {
    const statement = this.#prepareCount(this.#statements(table).spec, [...columns].sort());
    return this.#db
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${statement.source}`)
      .all(...columns.map(() => 'x'))
      .map((r) => r.detail);
  }
}

/** The conditions of a list on a document's own row: its filter columns, their choices, `match`. */
function rowConditions(
  columns: readonly string[],
  choices: readonly { readonly column: string; readonly values: readonly string[] }[],
  match: string | undefined,
): string[] {
  return [
    ...columns.map((c) => `${snake(c)} = ?`),
    ...choices.map(({ column, values }) => `${snake(column)} IN (${values.map(() => '?').join(', ')})`),
    ...(match === undefined ? [] : [match]),
  ];
}

/** A document condition as SQL over the `doc` column (SQLite's JSON functions), its values as parameters. */
function conditionSql(condition: DocumentCondition): { sql: string; params: string[] } {
  if ('allOf' in condition || 'anyOf' in condition) {
    const [parts, join] = 'allOf' in condition ? [condition.allOf, ' AND '] : [condition.anyOf, ' OR '];
    const compiled = parts.map(conditionSql);
    return {
      sql: `(${compiled.map((c) => c.sql).join(join) || ('allOf' in condition ? '1' : '0')})`,
      params: compiled.flatMap((c) => c.params),
    };
  }
  const path = `$.${condition.field}`;
  if ('isNull' in condition) return { sql: 'json_extract(doc, ?) IS NULL', params: [path] };
  if ('equals' in condition) {
    const { equals } = condition;
    // JSON's true and false come out of json_extract as 1 and 0, like numbers: their type tells them apart.
    return typeof equals === 'boolean'
      ? { sql: `json_type(doc, ?) = '${equals}'`, params: [path] }
      : { sql: 'json_extract(doc, ?) = ?', params: [path, equals] };
  }
  if ('hasOneOf' in condition) {
    const values = condition.hasOneOf;
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(doc, ?) WHERE value IN (${values.map(() => '?').join(', ')}))`,
      params: [path, ...values],
    };
  }
  return { sql: 'COALESCE(json_array_length(doc, ?), 0) = 0', params: [path] };
}

const notCreated = (table: string, id: string): Error =>
  new Error(`${table} ${id}: updated before it was created`);

/**
 * Reads documents of a read store's file over a connection that never writes, for threads that help its
 * one writer. It sees what the writer has committed.
 */
export class SqliteDocumentReader {
  readonly #db: Database.Database;
  readonly #gets = new Map<string, Statement<[string], string>>();

  constructor(file: string) {
    this.#db = new Database(file, { readonly: true, fileMustExist: true });
  }

  get(table: string, id: string): Document | undefined {
    let get = this.#gets.get(table);
    if (!get) {
      get = this.#db.prepare<[string], string>(`SELECT doc FROM ${tableName(table)} WHERE id = ?`).pluck();
      this.#gets.set(table, get);
    }
    const json = get.get(id);
    return json === undefined ? undefined : (JSON.parse(json) as Document);
  }

  close(): void {
    this.#db.close();
  }
}

/**
 * One runner writes a read store: a second one would duplicate every write, and the first one's cache
 * of what it wrote would go stale.
 */
function lockWriter(file: string): Database.Database {
  return acquireWriterLock(`${realFile(file)}.read-models.lock`, {
    busy: (cause) =>
      new Error(
        `the read models in ${file} are already kept by another process: give each process its own WFNET_READ_STORE`,
        { cause },
      ),
  });
}
