import type { WorkflowDefinition } from './definition.js';
import { normalizeWorkflow } from './normalize.js';

// The nets of the repository's `examples/*.json`, normalized (test/examples.int-spec.ts keeps them equal).
// Each call builds a fresh object, so a test that alters one cannot leak into another (and `netOf` caches
// per object).

/** `start → a → middle → b → end`. */
export function sequentialNet(): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'sequential',
    name: 'Two steps in a row',
    places: [{ id: 'start', type: 'start' }, { id: 'middle' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'a', executor: 'auto', executorParams: { output: 'a done' } },
      { id: 'b', executor: 'auto', executorParams: { output: 'b done' } },
    ],
    arcs: [
      { from: 'start', to: 'a' },
      { from: 'a', to: 'middle' },
      { from: 'middle', to: 'b' },
      { from: 'b', to: 'end' },
    ],
  });
}

/** `split` (and split) into `work-left` and `work-right`, joined by `join` (and join). */
export function parallelNet(): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'parallel',
    name: 'Split into two branches and join them',
    places: [
      { id: 'start', type: 'start' },
      { id: 'left' },
      { id: 'right' },
      { id: 'left-done' },
      { id: 'right-done' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'split', executor: 'auto', splitType: 'and' },
      { id: 'work-left', executor: 'auto', executorParams: { output: 'L' } },
      { id: 'work-right', executor: 'auto', executorParams: { output: 'R' } },
      { id: 'join', executor: 'auto', joinType: 'and' },
    ],
    arcs: [
      { from: 'start', to: 'split' },
      { from: 'split', to: 'left' },
      { from: 'split', to: 'right' },
      { from: 'left', to: 'work-left' },
      { from: 'work-left', to: 'left-done' },
      { from: 'right', to: 'work-right' },
      { from: 'work-right', to: 'right-done' },
      { from: 'left-done', to: 'join' },
      { from: 'right-done', to: 'join' },
      { from: 'join', to: 'end' },
    ],
  });
}

/** Deferred choice: `approve` and `reject` (both manual) compete for the token in `submitted`. */
export function approvalNet(): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'approval',
    name: 'Deferred choice: whichever reviewer acts first decides',
    places: [{ id: 'start', type: 'start' }, { id: 'submitted' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'submit', executor: 'auto' },
      { id: 'approve', executor: 'manual' },
      { id: 'reject', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'submit' },
      { from: 'submit', to: 'submitted' },
      { from: 'submitted', to: 'approve' },
      { from: 'submitted', to: 'reject' },
      { from: 'approve', to: 'end' },
      { from: 'reject', to: 'end' },
    ],
  });
}

/** A cycle `yellow → red → green → yellow` of manual steps, left from `red` by `will-end`. */
export function trafficLightNet(): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'traffic-light',
    name: 'Traffic light: cycles until switched off',
    places: [
      { id: 'start', type: 'start' },
      { id: 'yellow' },
      { id: 'red' },
      { id: 'green' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'init', executor: 'auto', executorParams: { output: 'on' } },
      { id: 'y2r', executor: 'manual' },
      { id: 'r2g', executor: 'manual' },
      { id: 'g2y', executor: 'manual' },
      { id: 'will-end', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'init' },
      { from: 'init', to: 'yellow' },
      { from: 'yellow', to: 'y2r' },
      { from: 'y2r', to: 'red' },
      { from: 'red', to: 'r2g' },
      { from: 'r2g', to: 'green' },
      { from: 'green', to: 'g2y' },
      { from: 'g2y', to: 'yellow' },
      { from: 'red', to: 'will-end' },
      { from: 'will-end', to: 'end' },
    ],
  });
}

/**
 * Decisions on the case's data: `register` sends a large loan to the board and any other to a clerk (an
 * xor split), `plan-checks` picks the checks the loan needs (an or split, closed by `checks-done`), then
 * a person decides.
 */
export function loanApprovalNet(): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'loan-approval',
    name: 'Loan approval: the amount picks the review, the applicant the checks',
    places: [
      { id: 'start', type: 'start' },
      { id: 'to-board' },
      { id: 'to-clerk' },
      { id: 'reviewed' },
      { id: 'kyc' },
      { id: 'fraud' },
      { id: 'basic' },
      { id: 'kyc-done' },
      { id: 'fraud-done' },
      { id: 'basic-done' },
      { id: 'checked' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'register', executor: 'auto', splitType: 'xor' },
      { id: 'board-review', executor: 'manual' },
      { id: 'clerk-review', executor: 'manual' },
      { id: 'plan-checks', executor: 'auto', splitType: 'or' },
      { id: 'kyc-check', executor: 'auto', executorParams: { output: { check: 'kyc', passed: true } } },
      { id: 'fraud-check', executor: 'auto', executorParams: { output: { check: 'fraud', passed: true } } },
      { id: 'basic-check', executor: 'auto', executorParams: { output: { check: 'basic', passed: true } } },
      { id: 'checks-done', executor: 'auto', joinType: 'or', orJoin: { split: 'plan-checks' } },
      { id: 'decide', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'register' },
      { from: 'register', to: 'to-board', condition: 'case.amount > 10000' },
      { from: 'register', to: 'to-clerk', default: true },
      { from: 'to-board', to: 'board-review' },
      { from: 'to-clerk', to: 'clerk-review' },
      { from: 'board-review', to: 'reviewed' },
      { from: 'clerk-review', to: 'reviewed' },
      { from: 'reviewed', to: 'plan-checks' },
      { from: 'plan-checks', to: 'kyc', condition: 'case.amount > 5000' },
      { from: 'plan-checks', to: 'fraud', condition: 'case.foreignApplicant == true' },
      { from: 'plan-checks', to: 'basic', default: true },
      { from: 'kyc', to: 'kyc-check' },
      { from: 'fraud', to: 'fraud-check' },
      { from: 'basic', to: 'basic-check' },
      { from: 'kyc-check', to: 'kyc-done' },
      { from: 'fraud-check', to: 'fraud-done' },
      { from: 'basic-check', to: 'basic-done' },
      { from: 'kyc-done', to: 'checks-done' },
      { from: 'fraud-done', to: 'checks-done' },
      { from: 'basic-done', to: 'checks-done' },
      { from: 'checks-done', to: 'checked' },
      { from: 'checked', to: 'decide' },
      { from: 'decide', to: 'end' },
    ],
  });
}
