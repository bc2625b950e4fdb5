import { NotFoundError, ValidationError } from '@wfnet/domain';
import type {
  CaseDocument,
  Document,
  IncidentDocument,
  TaskDocument,
  TaskTokenState,
  TimerDocument,
  TokenDocument,
  WorkflowDocument,
  WorkitemDocument,
} from '@wfnet/projections';
import { candidateTagsOf } from '@wfnet/projections';
import type { DocumentCondition, ListQuery, ListedRow, ReadStore } from './read-store.js';
import { satisfies } from './read-store.js';

export type WorkflowResource = Omit<WorkflowDocument, 'lastRevision'>;
export type CaseResource = Omit<CaseDocument, 'lastRevision' | 'unconsumed'>;
export type TokenResource = Omit<TokenDocument, 'lastRevision'>;
export type WorkitemResource = Omit<WorkitemDocument, 'lastRevision'>;
export type IncidentResource = Omit<IncidentDocument, 'lastRevision'>;
export type TimerResource = Omit<TimerDocument, 'lastRevision'>;
/** A task as `GET /cases/:id/tasks` lists it: without its tables. */
export type TaskSummary = Omit<TaskDocument, 'lastRevision' | 'tokens' | 'workitems'>;
/** A task as `GET /tasks/:id` answers it: with its token table (places joined) and workitem table. */
export type TaskResource = Omit<TaskDocument, 'lastRevision' | 'tokens'> & {
  readonly tokens: readonly {
    readonly tokenId: string;
    readonly placeId: string;
    readonly state: TaskTokenState;
  }[];
};

export interface PageRequest {
  /** 1 to 500; 100 when absent. Infinity: no count bound, only the byte bound (the token table). */
  readonly limit?: number;
  /** The `next` cursor of the previous page. */
  readonly after?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** The cursor of the next page, or null on the last one. */
  readonly next: string | null;
}

/** A page with the number of items the whole list holds, counted by the read store. */
export interface CountedPage<T> extends Page<T> {
  readonly total: number;
}

export interface ListWorkflows extends PageRequest {
  readonly state?: string;
}
export interface ListCases extends PageRequest {
  readonly workflowId?: string;
  readonly state?: string;
  /** `desc`: newest first. Creation order when absent, as every list. */
  readonly order?: 'asc' | 'desc';
  /** Answers `total` too: how many cases match the filter. */
  readonly total?: boolean;
}
export interface ListWorkitems extends PageRequest {
  readonly state?: string;
  readonly caseId?: string;
  readonly transitionId?: string;
  readonly executor?: string;
  /** Only the workitems this user has claimed. */
  readonly claimedBy?: string;
  /** Only the workitems this person may work (see `mayWork`). */
  readonly candidate?: Candidate;
}

/** A person asking for the workitems they may work. */
export interface Candidate {
  readonly user: string;
  readonly groups: readonly string[];
}

export interface ListIncidents extends PageRequest {
  readonly state?: string;
  readonly caseId?: string;
  readonly kind?: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;

const OPEN_STATES: readonly string[] = ['created', 'started'];

/**
 * The workitems `candidate` may work, beside being open: not claimed by someone else, and either no one is
 * named for them or the candidate is (a candidate user, in a candidate group, or the assignee).
 */
export const candidateCondition = ({ user, groups }: Candidate): DocumentCondition => ({
  allOf: [
    {
      anyOf: [
        { field: 'claimedBy', isNull: true },
        { field: 'claimedBy', equals: user },
      ],
    },
    {
      anyOf: [
        { field: 'assigned', equals: false },
        { field: 'assignee', equals: user },
        { field: 'candidateUsers', hasOneOf: [user] },
        { field: 'candidateGroups', hasOneOf: groups },
      ],
    },
  ],
});

/** Whether `candidate` may work the workitem (see `candidateCondition`). */
export const mayWork = (workitem: WorkitemDocument, candidate: Candidate): boolean =>
  OPEN_STATES.includes(workitem.state) && satisfies(workitem, candidateCondition(candidate));

const CURSOR = /^([a-z]+(?:-desc)?):([1-9][0-9]{0,15})$/;

/**
 * A cursor names its list (`cases-desc` for the cases newest first) and a place in creation order; it is
 * opaque to clients.
 */
export function encodeCursor(table: string, seq: number): string {
  return Buffer.from(`${table}:${seq}`).toString('base64url');
}

export function decodeCursor(table: string, cursor: string): number {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match || match[1] !== table) {
    throw new ValidationError('validation_failed', `after: not a cursor of the ${table} list`, [
      { path: 'after', message: `must be the next cursor of a previous ${table} page` },
    ]);
  }
  return Number(match[2]);
}

function withoutRevision<D extends Document>(doc: D): Omit<D, 'lastRevision'> {
  const { lastRevision: _, ...rest } = doc;
  return rest;
}

function caseResource(doc: CaseDocument): CaseResource {
  const { lastRevision: _, unconsumed: __, ...rest } = doc;
  return rest;
}

function definedOnly(filter: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const defined: Record<string, string> = {};
  for (const [key, value] of Object.entries(filter)) if (value !== undefined) defined[key] = value;
  return defined;
}

/** The queries of the HTTP contract over the read models. Reads only: the runner alone writes. */
export class ReadModels {
  /** `maxPageBytes`: a list page stops early once its items take this many bytes of JSON (at least one item). */
  constructor(
    private readonly store: ReadStore,
    private readonly maxPageBytes = Number.POSITIVE_INFINITY,
  ) {}

  getWorkflow(id: string): WorkflowResource {
    return withoutRevision(this.#require<WorkflowDocument>('workflows', 'workflow', id));
  }

  listWorkflows({ state, ...page }: ListWorkflows = {}): Page<WorkflowResource> {
    return this.#page<WorkflowDocument, WorkflowResource>('workflows', { state }, page, withoutRevision);
  }

  getCase(id: string): CaseResource {
    return caseResource(this.#require<CaseDocument>('cases', 'case', id));
  }

  /** A page of cases; with `total`, a `CountedPage`. */
  listCases({ workflowId, state, order, total, ...page }: ListCases = {}):
    Page<CaseResource> | CountedPage<CaseResource> {
    const filter = { workflowId, state };
    const listed = this.#page<CaseDocument, CaseResource>('cases', filter, page, caseResource, {
      descending: order === 'desc',
    });
    return total ? { ...listed, total: this.store.count('cases', definedOnly(filter)) } : listed;
  }

  /**
   * The case's token table, in issue order: all of it unless it takes more than `maxPageBytes`, when the
   * page ends early and `next` names the rest.
   */
  getCaseTokens(caseId: string, after?: string): Page<TokenResource> {
    this.#require('cases', 'case', caseId);
    return this.#page<TokenDocument, TokenResource>(
      'tokens',
      { caseId },
      { limit: Number.POSITIVE_INFINITY, ...(after !== undefined && { after }) },
      withoutRevision,
    );
  }

  /** The case's tasks, in start order. */
  getCaseTasks(caseId: string): TaskSummary[] {
    this.#require('cases', 'case', caseId);
    return this.store.list<TaskDocument>('tasks', { filter: { caseId } }).map(({ doc }) => {
      const { lastRevision: _, tokens: __, workitems: ___, ...summary } = doc;
      return summary;
    });
  }

  getTask(id: string): TaskResource {
    const { lastRevision: _, tokens, ...task } = this.#require<TaskDocument>('tasks', 'task', id);
    return {
      ...task,
      tokens: tokens.map(({ tokenId, state }) => ({
        tokenId,
        // A task only ever receives tokens already issued, so the token table has every one.
        placeId: this.store.get<TokenDocument>('tokens', tokenId)?.placeId ?? '',
        state,
      })),
    };
  }

  getWorkitem(id: string): WorkitemResource {
    return withoutRevision(this.#require<WorkitemDocument>('workitems', 'workitem', id));
  }

  listWorkitems({
    state,
    caseId,
    transitionId,
    executor,
    claimedBy,
    candidate,
    ...page
  }: ListWorkitems = {}): Page<WorkitemResource> {
    return this.#page<WorkitemDocument, WorkitemResource>(
      'workitems',
      { state, caseId, transitionId, executor, claimedBy },
      page,
      withoutRevision,
      candidate === undefined
        ? {}
        : {
            oneOf: { state: OPEN_STATES },
            match: candidateCondition(candidate),
            // The candidate's tags find the rows it may work without reading the others, and the condition
            // still decides (a claim is tagged without its claimer's groups). A case's workitems or a user's
            // claims are fewer still: their columns' indexes serve those lists.
            ...(caseId === undefined &&
              claimedBy === undefined && { tagged: candidateTagsOf(candidate.user, candidate.groups) }),
          },
    );
  }

  getIncident(id: string): IncidentResource {
    return withoutRevision(this.#require<IncidentDocument>('incidents', 'incident', id));
  }

  listIncidents({ state, caseId, kind, ...page }: ListIncidents = {}): Page<IncidentResource> {
    return this.#page<IncidentDocument, IncidentResource>(
      'incidents',
      { state, caseId, kind },
      page,
      withoutRevision,
    );
  }

  /** The case's timers, pending, fired and cancelled, in the order they were scheduled. */
  timersOfCase(caseId: string): TimerResource[] {
    this.#require('cases', 'case', caseId);
    return this.store
      .list<TimerDocument>('timers', { filter: { caseId } })
      .map(({ doc }) => withoutRevision(doc));
  }

  /**
   * Up to `limit` pending timers due at or before `at` (ISO 8601, UTC, as the clock writes it), earliest
   * first, ties by id: read from the due-timer index, never the whole table.
   */
  dueTimers(at: string, limit: number): TimerResource[] {
    return this.store
      .listOrdered<TimerDocument>('timers', {
        filter: { state: 'pending' },
        orderBy: 'dueAt',
        atMost: at,
        limit,
      })
      .map(withoutRevision);
  }

  /** When the earliest pending timer is due; undefined when none is pending. */
  nextTimerDue(): string | undefined {
    const [first] = this.store.listOrdered<TimerDocument>('timers', {
      filter: { state: 'pending' },
      orderBy: 'dueAt',
      limit: 1,
    });
    return first?.dueAt;
  }

  #require<D extends Document>(
    table: string,
    entity: 'workflow' | 'case' | 'task' | 'workitem' | 'incident',
    id: string,
  ): D {
    const doc = this.store.get<D>(table, id);
    if (!doc) throw new NotFoundError(entity, id);
    return doc;
  }

  #page<D extends Document, R>(
    table: string,
    filter: Readonly<Record<string, string | undefined>>,
    { limit = DEFAULT_LIMIT, after }: PageRequest,
    represent: (doc: D) => R,
    options: Pick<ListQuery, 'oneOf' | 'match' | 'descending'> = {},
  ): Page<R> {
    const { descending = false, ...narrower } = options;
    const list = descending ? `${table}-desc` : table;
    const unbounded = limit === Number.POSITIVE_INFINITY;
    if (!unbounded && (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)) {
      throw new ValidationError('validation_failed', `limit must be an integer from 1 to ${MAX_LIMIT}`, [
        { path: 'limit', message: `must be an integer from 1 to ${MAX_LIMIT}` },
      ]);
    }
    const rows = this.store.list<D>(table, {
      ...narrower,
      filter: definedOnly(filter),
      ...(after !== undefined && { afterSeq: decodeCursor(list, after) }),
      ...(descending && { descending }),
      // One more than asked, or the row past the byte bound, tells whether another page follows.
      ...(!unbounded && { limit: limit + 1 }),
      ...(Number.isFinite(this.maxPageBytes) && { maxBytes: this.maxPageBytes }),
    });
    const items: ListedRow<D>[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (items.length === limit || (items.length > 0 && bytes + row.bytes > this.maxPageBytes)) break;
      items.push(row);
      bytes += row.bytes;
    }
    const last = items[items.length - 1];
    return {
      items: items.map(({ doc }) => represent(doc)),
      next: rows.length > items.length && last ? encodeCursor(list, last.seq) : null,
    };
  }
}
