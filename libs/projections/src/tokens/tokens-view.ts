import type {
  JsonValue,
  TokensConsumed,
  TokensIssued,
  TokensLocked,
  TokensUnlocked,
  TokenState,
} from '@wfnet/domain';
import type { Document } from '../core/view.js';
import { defineView } from '../core/view.js';

/** A row of the token table: every token of every case. */
export interface TokenDocument extends Document {
  readonly caseId: string;
  readonly placeId: string;
  readonly state: TokenState;
  readonly payload: JsonValue;
  /** `genesis` for a case's first token. */
  readonly producedByTaskId: string;
  /** The task that locked it last; kept once the token is consumed. */
  readonly lockedByTaskId: string | null;
  /** `termination` when the case itself took it from `end`. */
  readonly consumedByTaskId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type TokenEvent = TokensIssued | TokensLocked | TokensUnlocked | TokensConsumed;

export const tokensView = defineView<TokenDocument, TokenEvent>({
  name: 'tokens',
  handles: ['TokensIssued', 'TokensLocked', 'TokensUnlocked', 'TokensConsumed'],
  creates: ['TokensIssued'],
  documentId: (event) =>
    event.type === 'TokensIssued' ? event.data.tokens.map((t) => t.id) : event.data.tokenIds,
  initial: (id) => ({
    id,
    lastRevision: -1,
    position: '0',
    caseId: '',
    placeId: '',
    state: 'free',
    payload: null,
    producedByTaskId: '',
    lockedByTaskId: null,
    consumedByTaskId: null,
    createdAt: '',
    updatedAt: '',
  }),
  apply(doc, event) {
    const { data } = event;
    switch (event.type) {
      case 'TokensIssued': {
        const token = event.data.tokens.find((t) => t.id === doc.id);
        if (!token) return undefined;
        return {
          caseId: event.data.caseId,
          placeId: token.placeId,
          state: 'free',
          payload: token.payload,
          producedByTaskId: token.producedByTaskId,
          createdAt: data.at,
          updatedAt: data.at,
        };
      }
      case 'TokensLocked':
        return { state: 'locked', lockedByTaskId: event.data.taskId, updatedAt: data.at };
      case 'TokensUnlocked':
        return { state: 'free', lockedByTaskId: null, updatedAt: data.at };
      case 'TokensConsumed':
        return { state: 'consumed', consumedByTaskId: event.data.taskId, updatedAt: data.at };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
});
