import type {
  ExecutionError,
  JsonValue,
  WorkitemClaimed,
  WorkitemCreated,
  WorkitemFailed,
  WorkitemReleased,
  WorkitemState,
  WorkitemUpdated,
} from '@wfnet/domain';
import type { Document } from '../core/view.js';
import { defineView } from '../core/view.js';

/** A row of the workitem table: every workitem of every case. */
export interface WorkitemDocument extends Document {
  readonly caseId: string;
  readonly taskId: string;
  readonly transitionId: string;
  readonly executor: string;
  readonly state: WorkitemState;
  /** The executor's output once completed, otherwise null. */
  readonly output: JsonValue;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Failed attempts of its executor so far. */
  readonly attempts: number;
  /** Why the last attempt failed; null until one has. */
  readonly lastError: ExecutionError | null;
  /** When the next attempt may start, as the last failure scheduled it; null when none is scheduled. */
  readonly retryAt: string | null;
  /**
   * Whether its transition has an assignment: when false anyone who may work workitems may work it, else
   * only its candidate users, the members of its candidate groups and its assignee (and admins).
   */
  readonly assigned: boolean;
  readonly candidateGroups: readonly string[];
  readonly candidateUsers: readonly string[];
  /** The user its assignee expression named when it was created; null when none. */
  readonly assignee: string | null;
  /** Who claimed it; null when unclaimed, and once it has ended. */
  readonly claimedBy: string | null;
  /** Who completed it through the API; null otherwise (an executor, an operator, not completed). */
  readonly completedBy: string | null;
}

export type WorkitemEvent =
  WorkitemCreated | WorkitemUpdated | WorkitemFailed | WorkitemClaimed | WorkitemReleased;

export const workitemsView = defineView<WorkitemDocument, WorkitemEvent>({
  name: 'workitems',
  handles: ['WorkitemCreated', 'WorkitemUpdated', 'WorkitemFailed', 'WorkitemClaimed', 'WorkitemReleased'],
  creates: ['WorkitemCreated'],
  documentId: (event) => event.data.workitemId,
  initial: (id) => ({
    id,
    lastRevision: -1,
    position: '0',
    caseId: '',
    taskId: '',
    transitionId: '',
    executor: '',
    state: 'created',
    output: null,
    createdAt: '',
    updatedAt: '',
    attempts: 0,
    lastError: null,
    retryAt: null,
    assigned: false,
    candidateGroups: [],
    candidateUsers: [],
    assignee: null,
    claimedBy: null,
    completedBy: null,
  }),
  apply(doc, event) {
    switch (event.type) {
      case 'WorkitemCreated': {
        const { caseId, taskId, transitionId, executor, assignment, at } = event.data;
        return {
          caseId,
          taskId,
          transitionId,
          executor,
          state: 'created',
          output: null,
          createdAt: at,
          updatedAt: at,
          attempts: 0,
          lastError: null,
          retryAt: null,
          assigned: assignment !== undefined,
          candidateGroups: assignment?.candidateGroups ?? [],
          candidateUsers: assignment?.candidateUsers ?? [],
          assignee: assignment?.assignee ?? null,
          claimedBy: null,
          completedBy: null,
        };
      }
      case 'WorkitemUpdated': {
        const { state, output, by, at } = event.data;
        // An ended workitem loses its claim.
        const ended = state === 'started' ? {} : { claimedBy: null };
        const completedBy = state === 'completed' ? { completedBy: by ?? null } : {};
        return { state, output, ...ended, ...completedBy, updatedAt: at };
      }
      case 'WorkitemClaimed':
        return { claimedBy: event.data.by, updatedAt: event.data.at };
      case 'WorkitemReleased':
        return { claimedBy: null, updatedAt: event.data.at };
      case 'WorkitemFailed': {
        const { attempt, error, retryAt, at } = event.data;
        return { attempts: attempt, lastError: error, retryAt, updatedAt: at };
      }
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
});

/**
 * Whether the user, a member of `groups`, may work the workitem (`?candidate=me`): it is open, claimed by no
 * one else, and either unassigned or the user is one of its candidate users, in one of its candidate groups,
 * or its assignee. The same rules as the case decider's, which has the last word (four eyes is its alone).
 */
export function isAvailableTo(
  doc: Pick<
    WorkitemDocument,
    'state' | 'claimedBy' | 'assigned' | 'candidateUsers' | 'candidateGroups' | 'assignee'
  >,
  user: string,
  groups: readonly string[],
): boolean {
  if (doc.state !== 'created' && doc.state !== 'started') return false;
  if (doc.claimedBy !== null && doc.claimedBy !== user) return false;
  return (
    !doc.assigned ||
    doc.candidateUsers.includes(user) ||
    doc.assignee === user ||
    doc.candidateGroups.some((group) => groups.includes(group))
  );
}

/**
 * The tags under which a read store files the workitem for `?candidate=me`, so that a caller's list seeks
 * its tags (`candidateTagsOf`) instead of checking every open workitem. An unclaimed open workitem is
 * filed under `*` when it names no one, else under `u:<user>` for each candidate user, `g:<group>` for
 * each candidate group and `a:<assignee>`; a claimed one under `c:<claimer>` only, as no one else may
 * work it; an ended one under none.
 *
 * Invariant: whenever `isAvailableTo(doc, user, groups)`, the workitem holds one of
 * `candidateTagsOf(user, groups)`; for an unclaimed workitem the converse holds too. A claim is filed
 * without the claimer's groups, so a claimed workitem still needs `isAvailableTo` to decide.
 */
export function candidateTags(
  doc: Pick<
    WorkitemDocument,
    'state' | 'claimedBy' | 'assigned' | 'candidateUsers' | 'candidateGroups' | 'assignee'
  >,
): string[] {
  if (doc.state !== 'created' && doc.state !== 'started') return [];
  if (doc.claimedBy !== null) return [`c:${doc.claimedBy}`];
  if (!doc.assigned) return ['*'];
  const tags = new Set([
    ...doc.candidateUsers.map((user) => `u:${user}`),
    ...doc.candidateGroups.map((group) => `g:${group}`),
    ...(doc.assignee === null ? [] : [`a:${doc.assignee}`]),
  ]);
  return [...tags];
}

/** The tags (see `candidateTags`) of every workitem the user, a member of `groups`, may work. */
export function candidateTagsOf(user: string, groups: readonly string[]): string[] {
  return [...new Set(['*', `u:${user}`, `a:${user}`, `c:${user}`, ...groups.map((group) => `g:${group}`)])];
}
