import type { Workitem } from '@wfnet/domain';

export const workitemRepresentation = (caseId: string, workitem: Workitem) => ({
  id: workitem.id,
  caseId,
  taskId: workitem.taskId,
  transitionId: workitem.transitionId,
  executor: workitem.executor,
  state: workitem.state,
  output: workitem.output,
});
