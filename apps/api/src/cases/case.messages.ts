import { Command, Query } from '@nestjs/cqrs';
import type { CaseCommand, CreateCase, JsonValue, RecordedEvent } from '@wfnet/domain';
import type { CaseOutcome } from '../engine/outcomes.js';
import type { CaseAtRevision, CaseFollow } from './case-history.js';

/** Every case command of the domain travels the command bus in this envelope. */
export class CaseCommandMessage<C extends CaseCommand = CaseCommand> extends Command<CaseOutcome<C>> {
  constructor(readonly command: C) {
    super();
  }
}

/** Starts a case on the workflow as it is now: `CreateCase` with the workflow its handler loads. */
export class StartCaseMessage extends Command<CaseOutcome<CreateCase>> {
  constructor(
    readonly caseId: string,
    readonly workflowId: string,
    readonly data: JsonValue,
    readonly at: string,
  ) {
    super();
  }
}

/** The case as it was at a revision of its stream, or as it is now without one (see `CaseHistory`). */
export class CaseAtRevisionQuery extends Query<CaseAtRevision> {
  constructor(
    readonly caseId: string,
    readonly revision?: bigint,
  ) {
    super();
  }
}

/** A case's history, then its events as they are recorded until it ends (server-sent events). */
export class FollowCaseQuery extends Query<CaseFollow> {
  constructor(readonly caseId: string) {
    super();
  }
}

/** A case's history, read straight from its stream. */
export class CaseHistoryQuery extends Query<readonly RecordedEvent[]> {
  constructor(
    readonly caseId: string,
    readonly fromRevision: bigint,
    readonly limit: number,
  ) {
    super();
  }
}
