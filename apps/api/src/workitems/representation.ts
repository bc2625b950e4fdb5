import type { Workitem, WorkitemAttempts } from '@wfnet/domain';

/** A workitem as a command answers it; `attempts` are its failures, absent when it never failed. */
export const workitemRepresentation = (
  caseId: string,
  workitem: Workitem,
  attempts: WorkitemAttempts | undefined,
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
});
