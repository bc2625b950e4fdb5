import type {
  AbandonReason,
  JsonValue,
  TaskAbandoned,
  TaskAllocated,
  TaskCompleted,
  TaskStarted,
  TaskState,
  TokensConsumed,
  TokensDiscarded,
  TokensLocked,
  TokensReceived,
  TokensUnlocked,
  WorkitemCreated,
  WorkitemState,
  WorkitemUpdated,
} from '@wfnet/domain';
import { TERMINATION } from '@wfnet/domain';
import type { Document } from '../core/view.js';
import { defineView } from '../core/view.js';

/**
 * A token as one task sees it, which may differ from the token's own state:
 * `offered` — received and not locked by this task (it may be free, or locked by a competitor);
 * `locked` — locked by this task; `consumed` — consumed by this task;
 * `discarded` — withdrawn from this task (a competitor consumed or holds it).
 */
export type TaskTokenState = 'offered' | 'locked' | 'consumed' | 'discarded';

export interface TaskTokenEntry {
  readonly tokenId: string;
  readonly state: TaskTokenState;
}

export interface TaskWorkitemEntry {
  readonly workitemId: string;
  readonly state: WorkitemState;
}

/**
 * A task with its own token table and workitem table. The token table holds ids only: a token's place
 * is recorded where the token is issued, which this document never sees, so queries join it from the
 * token table.
 */
export interface TaskDocument extends Document {
  readonly caseId: string;
  readonly transitionId: string;
  readonly state: TaskState;
  /** What the task's output tokens carry, once completed; null before. */
  readonly tokenPayload: JsonValue;
  readonly abandonReason: AbandonReason | null;
  /** In the order the tokens were received. */
  readonly tokens: readonly TaskTokenEntry[];
  /** In the order the workitems were created. */
  readonly workitems: readonly TaskWorkitemEntry[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type TaskEvent =
  | TaskStarted
  | TokensReceived
  | TokensDiscarded
  | TokensLocked
  | TokensUnlocked
  | TokensConsumed
  | TaskAllocated
  | WorkitemCreated
  | WorkitemUpdated
  | TaskCompleted
  | TaskAbandoned;

function withTokens(
  tokens: readonly TaskTokenEntry[],
  tokenIds: readonly string[],
  state: TaskTokenState,
  addMissing: boolean,
): readonly TaskTokenEntry[] {
  const wanted = new Set(tokenIds);
  const next = tokens.map((t) => (wanted.delete(t.tokenId) ? { tokenId: t.tokenId, state } : t));
  if (addMissing) for (const tokenId of wanted) next.push({ tokenId, state });
  return next;
}

function withWorkitem(
  workitems: readonly TaskWorkitemEntry[],
  workitemId: string,
  state: WorkitemState,
  overwrite: boolean,
): readonly TaskWorkitemEntry[] {
  const index = workitems.findIndex((w) => w.workitemId === workitemId);
  if (index < 0) return [...workitems, { workitemId, state }];
  if (!overwrite) return workitems;
  return workitems.map((w, i) => (i === index ? { workitemId, state } : w));
}

const ended = (state: TaskState): boolean => state === 'completed' || state === 'abandoned';

export const tasksView = defineView<TaskDocument, TaskEvent>({
  name: 'tasks',
  handles: [
    'TaskStarted',
    'TokensReceived',
    'TokensDiscarded',
    'TokensLocked',
    'TokensUnlocked',
    'TokensConsumed',
    'TaskAllocated',
    'WorkitemCreated',
    'WorkitemUpdated',
    'TaskCompleted',
    'TaskAbandoned',
  ],
  creates: ['TaskStarted'],
  // The case's own consumption of the end token is no task's.
  documentId: (event) => (event.data.taskId === TERMINATION ? [] : event.data.taskId),
  initial: (id) => ({
    id,
    lastRevision: -1,
    position: '0',
    caseId: '',
    transitionId: '',
    state: 'started',
    tokenPayload: null,
    abandonReason: null,
    tokens: [],
    workitems: [],
    createdAt: '',
    updatedAt: '',
  }),
  apply(doc, event) {
    const updatedAt = event.data.at;
    switch (event.type) {
      case 'TaskStarted': {
        const { caseId, transitionId, at } = event.data;
        return { caseId, transitionId, state: 'started', createdAt: at, updatedAt: at };
      }
      case 'TokensReceived':
        return { tokens: withTokens(doc.tokens, event.data.tokenIds, 'offered', true), updatedAt };
      case 'TokensDiscarded':
        return { tokens: withTokens(doc.tokens, event.data.tokenIds, 'discarded', false), updatedAt };
      case 'TokensLocked':
        return {
          // Locking is what makes a task executing; a late lock never reopens an ended task.
          state: ended(doc.state) ? doc.state : 'executing',
          tokens: withTokens(doc.tokens, event.data.tokenIds, 'locked', true),
          updatedAt,
        };
      case 'TokensUnlocked':
        return { tokens: withTokens(doc.tokens, event.data.tokenIds, 'offered', false), updatedAt };
      case 'TokensConsumed':
        return { tokens: withTokens(doc.tokens, event.data.tokenIds, 'consumed', true), updatedAt };
      case 'TaskAllocated':
        return {
          state: 'allocated',
          workitems: withWorkitem(doc.workitems, event.data.workitemId, 'created', false),
          updatedAt,
        };
      case 'WorkitemCreated':
        return {
          workitems: withWorkitem(doc.workitems, event.data.workitemId, 'created', false),
          updatedAt,
        };
      case 'WorkitemUpdated':
        return {
          workitems: withWorkitem(doc.workitems, event.data.workitemId, event.data.state, true),
          updatedAt,
        };
      case 'TaskCompleted':
        return { state: 'completed', tokenPayload: event.data.tokenPayload, updatedAt };
      case 'TaskAbandoned':
        return { state: 'abandoned', abandonReason: event.data.reason, updatedAt };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
});
