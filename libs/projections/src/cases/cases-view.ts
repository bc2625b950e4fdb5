import type { CaseEvent, CaseStatus } from '@wfnet/domain';
import { CASE_EVENT_TYPES } from '@wfnet/domain';
import type { Document } from '../core/view.js';
import { defineView } from '../core/view.js';

export interface CaseDocument extends Document {
  readonly workflowId: string;
  readonly state: CaseStatus;
  /** Free and locked tokens per place; places without any are left out. */
  readonly marking: { readonly [placeId: string]: number };
  readonly createdAt: string;
  /** Time of the case's last event, whatever it changed. */
  readonly updatedAt: string;
  /**
   * The place of every token not yet consumed. A consumption names tokens only, so this is what tells
   * which place to take them from; not part of the case's representation.
   */
  readonly unconsumed: { readonly [tokenId: string]: string };
  /** Incidents raised and not yet resolved: kept as a count so that a page of cases reads no other table. */
  readonly openIncidents: number;
  /** Why the case was terminated, when not by someone: `timeout` when its `caseTimeout` ran out. */
  readonly terminatedReason?: 'timeout';
}

export const casesView = defineView<CaseDocument, CaseEvent>({
  name: 'cases',
  handles: CASE_EVENT_TYPES,
  creates: ['CaseCreated'],
  documentId: (event) => event.data.caseId,
  initial: (id) => ({
    id,
    lastRevision: -1,
    position: '0',
    workflowId: '',
    state: 'created',
    marking: {},
    createdAt: '',
    updatedAt: '',
    unconsumed: {},
    openIncidents: 0,
  }),
  apply(doc, event) {
    const updatedAt = event.data.at;
    switch (event.type) {
      case 'CaseCreated': {
        const { workflowId, at } = event.data;
        // Every field no later event may be the first to set: a document the store already holds when
        // its creation arrives (a replay taking over from a broken range) gets them too.
        return { workflowId, state: 'created', createdAt: at, updatedAt: at, openIncidents: 0 };
      }
      case 'CaseActivated':
        return { state: 'active', updatedAt };
      case 'CaseFinished':
        return { state: 'finished', updatedAt };
      case 'CaseTerminated': {
        const { reason } = event.data;
        return { state: 'terminated', updatedAt, ...(reason !== undefined && { terminatedReason: reason }) };
      }
      case 'TokensIssued': {
        const marking = { ...doc.marking };
        const unconsumed = { ...doc.unconsumed };
        for (const { id, placeId } of event.data.tokens) {
          if (unconsumed[id] !== undefined) continue;
          unconsumed[id] = placeId;
          marking[placeId] = (marking[placeId] ?? 0) + 1;
        }
        return { marking, unconsumed, updatedAt };
      }
      case 'TokensConsumed': {
        const marking = { ...doc.marking };
        const unconsumed = { ...doc.unconsumed };
        for (const id of event.data.tokenIds) {
          const placeId = unconsumed[id];
          if (placeId === undefined) continue;
          delete unconsumed[id];
          const left = (marking[placeId] ?? 0) - 1;
          if (left > 0) marking[placeId] = left;
          else delete marking[placeId];
        }
        return { marking, unconsumed, updatedAt };
      }
      case 'TaskStarted':
      case 'TokensReceived':
      case 'TaskAllocated':
      case 'WorkitemCreated':
      case 'TokensLocked':
      case 'WorkitemUpdated':
      case 'TokensDiscarded':
      case 'TokensUnlocked':
      case 'TaskCompleted':
      case 'TaskAbandoned':
      case 'TimerScheduled':
      case 'TimerFired':
      case 'TimerCancelled':
      case 'WorkitemFailed':
      case 'WorkitemClaimed':
      case 'WorkitemReleased':
        return { updatedAt };
      case 'IncidentRaised':
        return { openIncidents: doc.openIncidents + 1, updatedAt };
      // The domain resolves only an open incident, once: each resolution follows its own raise.
      case 'IncidentResolved':
        return { openIncidents: doc.openIncidents - 1, updatedAt };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
});
