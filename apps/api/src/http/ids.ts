import type { CaseEntity } from '@wfnet/domain';
import { ID_PATTERN, NotFoundError, parseEntityId } from '@wfnet/domain';
import { HttpError } from './error.filter.js';

/** The case a task, workitem or incident id belongs to; an id the engine never makes names nothing. */
export function caseIdOf(id: string, entity: Extract<CaseEntity, 'task' | 'workitem' | 'incident'>): string {
  const parsed = parseEntityId(id, entity);
  if (!parsed) throw new NotFoundError(entity, id);
  return parsed.caseId;
}

export function positionOf(waitFor: string | undefined): bigint | undefined {
  return waitFor === undefined ? undefined : BigInt(waitFor);
}

export function assertId(id: string, path: string): void {
  if (!ID_PATTERN.test(id)) {
    throw new HttpError(400, 'validation_failed', `${path} must match ${ID_PATTERN.source}`, [
      { path, message: `must match ${ID_PATTERN.source}` },
    ]);
  }
}
