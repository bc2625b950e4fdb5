import type { Task } from '@wfnet/domain';

export function taskRepresentation(caseId: string, task: Task) {
  return {
    id: task.id,
    caseId,
    transitionId: task.transitionId,
    state: task.state,
    tokenPayload: task.tokenPayload,
  };
}
