import type { JoinType, SplitType } from '@wfnet/domain';
import { exampleNets } from '@wfnet/domain';

/** The body of `POST /workflows`, as far as the crash matrix writes and reads it. */
export interface NetBody {
  readonly id: string;
  readonly places: readonly { readonly id: string; readonly type?: 'start' | 'normal' | 'end' }[];
  readonly transitions: readonly {
    readonly id: string;
    readonly executor: string;
    readonly executorParams?: object;
    readonly joinType?: JoinType;
    readonly splitType?: SplitType;
    readonly retry?: object;
  }[];
  readonly arcs: readonly { readonly from: string; readonly to: string }[];
}

export type Step = NetBody['transitions'][number];

/** `start → steps[0] → p1 → steps[1] → … → end`. */
export function sequenceNet(id: string, steps: readonly Step[]): NetBody {
  return {
    id,
    places: [
      { id: 'start', type: 'start' },
      ...steps.slice(1).map((_, i) => ({ id: `p${i + 1}` })),
      { id: 'end', type: 'end' },
    ],
    transitions: steps,
    arcs: steps.flatMap((step, i) => [
      { from: i === 0 ? 'start' : `p${i}`, to: step.id },
      { from: step.id, to: i === steps.length - 1 ? 'end' : `p${i + 1}` },
    ]),
  };
}

export const sequentialNet = (): NetBody =>
  sequenceNet(
    'sequential',
    ['s1', 's2', 's3'].map((id) => ({ id, executor: 'auto', executorParams: { output: id } })),
  );

/** The example and-split into two branches of auto steps, joined again by an and-join. */
export const parallelNet = (): NetBody => exampleNets.parallelNet();

/** Deferred choice: `approve` and `reject` (manual) compete for the token in `start`; `archive` follows. */
export const choiceNet = (): NetBody => ({
  id: 'choice',
  places: [{ id: 'start', type: 'start' }, { id: 'decided' }, { id: 'end', type: 'end' }],
  transitions: [
    { id: 'approve', executor: 'manual' },
    { id: 'reject', executor: 'manual' },
    { id: 'archive', executor: 'auto', executorParams: { output: 'archived' } },
  ],
  arcs: [
    { from: 'start', to: 'approve' },
    { from: 'start', to: 'reject' },
    { from: 'approve', to: 'decided' },
    { from: 'reject', to: 'decided' },
    { from: 'decided', to: 'archive' },
    { from: 'archive', to: 'end' },
  ],
});

/** A flaky webhook, retried without limit after 0.2 s, 0.4 s, 0.8 s, then every second. */
export const webhookNet = (url: string, id = 'webhook'): NetBody =>
  sequenceNet(id, [
    {
      id: 'call',
      executor: 'webhook',
      executorParams: { url, timeoutMs: 2000 },
      retry: {
        initialInterval: 'PT0.2S',
        backoffCoefficient: 2,
        maximumInterval: 'PT1S',
        maximumAttempts: 0,
      },
    },
    { id: 'after', executor: 'auto' },
  ]);

/** A timer that waits 0.3 s from its workitem's creation, then an auto step. */
export const timerNet = (): NetBody =>
  sequenceNet('timer', [
    { id: 'wait', executor: 'timer', executorParams: { after: 'PT0.3S' } },
    { id: 'after', executor: 'auto', executorParams: { output: 'waited' } },
  ]);
