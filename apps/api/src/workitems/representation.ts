import type { Workitem, WorkitemAttempts } from '@wfnet/domain';

/**
 * A workitem as a command answers it, with the fields of the read model; `attempts` are its failures,
 * absent when it never failed, and `completedBy` who completed it through the command, if anyone did.
 */
export const workitemRepresentation = (
  caseId: string,
  workitem: Workitem,
  attempts: WorkitemAttempts | undefined,
  completedBy: string | null = null,
) => ({
  id: workitem.id,
  caseId,
  taskId: workitem.taskId,
  transitionId: workitem.transitionId,
  executor: workitem.executor,
  state: workitem.state,
  output: workitem.output,
  attempts: attempts?.attempts ?? 0,
  lastError: attempts?.lastError ?? null,
  retryAt: attempts?.retryAt ?? null,
  assigned: workitem.assignment !== undefined,
  claimedBy: workitem.claimedBy ?? null,
  candidateGroups: workitem.assignment?.candidateGroups ?? [],
  candidateUsers: workitem.assignment?.candidateUsers ?? [],
  assignee: workitem.assignment?.assignee ?? null,
  completedBy: workitem.state === 'completed' ? completedBy : null,
});
