// The domain's public surface: the deciders, their commands, events, states and errors, the event-store
// port, the net definitions with their validation and verification, and the executor contract. How a
// state is built while a fold or a decision runs (drafts, applying one event) stays inside.
export * from './core/message.js';
export * from './core/decider.js';
export * from './core/errors.js';
export * from './core/event-store.js';

export type {
  Arc,
  Assignment,
  Place,
  PlaceType,
  RetryPolicy,
  Timeouts,
  Transition,
  WorkflowDefinition,
} from './net/definition.js';
export { ID_PATTERN } from './net/definition.js';
export type { ArcInput, PlaceInput, TransitionInput, WorkflowInput } from './net/normalize.js';
export { normalizeWorkflow } from './net/normalize.js';
export type { JoinType, Marker, SplitType } from './net/kinds.js';
export {
  DEFAULT_JOIN_TYPE,
  DEFAULT_SPLIT_TYPE,
  isJoinType,
  isSplitType,
  joinKinds,
  joinTypes,
  MAX_OR_BRANCHES,
  placeTransitionJoin,
  placeTransitionSplit,
  splitKinds,
  splitTypes,
} from './net/kinds.js';
export type { AssigneeScope, ConditionLanguage, ConditionScope } from './net/conditions.js';
export { ConditionFailure } from './net/conditions.js';
export type { TimestampScope, Timing } from './net/timing.js';
export { DEFAULT_RETRY_POLICY, retryPolicyOf, TIMER_EXECUTOR } from './net/timing.js';
export type { OrBlock, OrBlockProblem, OrBranch } from './net/or-blocks.js';
export { controlPlaceOf, orBlocksOf } from './net/or-blocks.js';
export type { NetRule, NetViolation, ValidateOptions } from './net/validate.js';
export { assertValidNet, validateNet } from './net/validate.js';
export type { Marking } from './net/marking.js';
export type {
  Counterexample,
  SoundnessMethod,
  SoundnessReport,
  UnboundedPlace,
  VerifyOptions,
} from './net/verify.js';
export { verifySoundness } from './net/verify.js';
export type { SoundnessWarning, SoundnessWarningCode } from './net/decision-warnings.js';
export type { ExecutorName, NetBlock } from './net/blocks.js';
export { netFromBlock } from './net/blocks.js';
/** The example nets: sequential, parallel, approval (a deferred choice), traffic light (a loop) and loan approval (decisions). */
export * as exampleNets from './net/fixtures.js';

export * from './case/events.js';
export * from './case/commands.js';
export * from './case/state.js';
export type { CaseEntity } from './case/ids.js';
export { parseEntityId } from './case/ids.js';
export { foldCase, foldCaseWithEnded, initialCaseState } from './case/evolve.js';
export type { CaseDeciderOptions } from './case/decide.js';
export { decideCase, decideCaseAndFold } from './case/decide.js';
export type { CaseDecider } from './case/decider.js';
export { caseDecider, caseFromSnapshot, caseToSnapshot, lockedTokensOf } from './case/decider.js';
export { abandonedWorkitem } from './workitem/workitem.js';

export * from './executor/executor.js';
export * from './workflow/index.js';
