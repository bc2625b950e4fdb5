import type { CaseData } from './state.js';

/**
 * Ids of what a case makes are derived from the case id and a per-case counter, so the decider stays
 * deterministic and any task, workitem or token id names its case: `order-7:task-3`.
 */
export type CaseEntity = 'task' | 'workitem' | 'token' | 'incident' | 'timer';

export const entityId = (caseId: string, entity: CaseEntity, number: number): string =>
  `${caseId}:${entity}-${number}`;

const ENTITY_ID = /^(.+):(task|workitem|token|incident|timer)-([1-9][0-9]*)$/;

/** The case and counter of a derived id, or `undefined` for an id the engine never makes. */
export function parseEntityId(
  id: string,
  entity: CaseEntity,
): { readonly caseId: string; readonly number: number } | undefined {
  const match = ENTITY_ID.exec(id);
  if (!match || match[2] !== entity) return undefined;
  return { caseId: match[1]!, number: Number(match[3]) };
}

/** Whether the case made what `id` names, live or ended: what it has ended is no longer in its state. */
export function hasMade(state: Pick<CaseData, 'caseId' | 'counts'>, entity: CaseEntity, id: string): boolean {
  const parsed = parseEntityId(id, entity);
  return (
    parsed !== undefined && parsed.caseId === state.caseId && parsed.number <= state.counts[`${entity}s`]
  );
}
