import type { TableSpec } from './read-store.js';

/**
 * Bump when a view's documents change shape or meaning: a store holding another version is dropped and
 * rebuilt from position 0 when it opens.
 */
export const READ_MODEL_VERSION = 5;

export const readModelTables: readonly TableSpec[] = [
  { name: 'workflows', columns: ['state'], indexes: [['state']] },
  {
    name: 'cases',
    columns: ['workflowId', 'state'],
    indexes: [['workflowId', 'state'], ['workflowId'], ['state']],
  },
  { name: 'tokens', columns: ['caseId'], indexes: [['caseId']] },
  { name: 'tasks', columns: ['caseId'], indexes: [['caseId']] },
  {
    name: 'workitems',
    columns: ['caseId', 'state', 'transitionId', 'executor', 'claimedBy'],
    // A case has few workitems, so caseId alone narrows any filter that names it; a transition has one
    // executor, so transitionId needs no pairing with it. A user's claims are few, and only open workitems
    // are claimed, so claimedBy alone narrows any filter that names it.
    indexes: [
      ['caseId'],
      ['claimedBy'],
      ['state', 'transitionId'],
      ['state', 'executor'],
      ['transitionId'],
      ['executor'],
      ['state'],
    ],
    // `?candidate=me` seeks the caller's tags: its condition looks into arrays no column holds.
    tags: 'workitem-candidates',
  },
  {
    name: 'incidents',
    columns: ['caseId', 'state', 'kind'],
    // Incidents are few next to workitems: caseId alone narrows any filter naming it.
    indexes: [['caseId'], ['state', 'kind'], ['kind'], ['state']],
  },
  {
    name: 'timers',
    columns: ['caseId', 'state', 'dueAt'],
    // The scheduler's due-timer index: pending timers by due time, ties by id, read on disk a page at a
    // time. `caseId` serves a case's own list.
    indexes: [['caseId'], ['state', 'dueAt', 'id']],
  },
];
