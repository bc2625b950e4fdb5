import type { CaseData, Token } from '@wfnet/domain';

export function marking(state: CaseData): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const token of state.tokens.values()) {
    if (token.state !== 'consumed') counts[token.placeId] = (counts[token.placeId] ?? 0) + 1;
  }
  return counts;
}

export const caseRepresentation = (state: CaseData, position: bigint) => ({
  id: state.caseId,
  workflowId: state.workflowId,
  state: state.status,
  marking: marking(state),
  createdAt: state.createdAt,
  updatedAt: state.updatedAt,
  openIncidents: state.incidents.size,
  position: position.toString(),
});

export const tokenRepresentation = (caseId: string, token: Token) => ({
  id: token.id,
  caseId,
  placeId: token.placeId,
  state: token.state,
  payload: token.payload,
  producedByTaskId: token.producedByTaskId,
  lockedByTaskId: token.lockedByTaskId,
  consumedByTaskId: token.consumedByTaskId,
});
