import { Query } from '@nestjs/cqrs';
import type { Candidate } from '../projections/read-models.js';

export interface Page {
  readonly limit: number;
  readonly after?: string;
}

export type ReadRequest =
  | { readonly kind: 'workflow'; readonly id: string }
  | { readonly kind: 'workflows'; readonly page: Page }
  | { readonly kind: 'case'; readonly id: string }
  | {
      readonly kind: 'cases';
      readonly page: Page;
      readonly workflowId?: string;
      readonly state?: string;
      readonly order?: 'asc' | 'desc';
      readonly total?: boolean;
    }
  | { readonly kind: 'caseTokens'; readonly caseId: string; readonly after?: string }
  | { readonly kind: 'caseTasks'; readonly caseId: string }
  | { readonly kind: 'caseTimers'; readonly caseId: string }
  | { readonly kind: 'task'; readonly id: string }
  | { readonly kind: 'workitem'; readonly id: string }
  | {
      readonly kind: 'workitems';
      readonly page: Page;
      readonly state?: string;
      readonly caseId?: string;
      readonly transitionId?: string;
      readonly executor?: string;
      readonly claimedBy?: string;
      readonly candidate?: Candidate;
    }
  | { readonly kind: 'incident'; readonly id: string }
  | {
      readonly kind: 'incidents';
      readonly page: Page;
      readonly state?: string;
      readonly caseId?: string;
      /** The incidents' `kind` (the request's own `kind` names the read). */
      readonly incidentKind?: string;
    };

/** Every read of a read model travels the query bus in this envelope; `waitFor` asks for read-your-writes. */
export class ReadModelQuery extends Query<unknown> {
  constructor(
    readonly request: ReadRequest,
    readonly waitFor?: bigint,
  ) {
    super();
  }
}
