import type { JsonValue } from '../core/message.js';
import type { JoinType, SplitType } from './kinds.js';

export type PlaceType = 'start' | 'normal' | 'end';

export interface Place {
  readonly id: string;
  readonly type: PlaceType;
  readonly name?: string;
}

export interface Transition {
  readonly id: string;
  readonly name?: string;
  /** A registered executor's name: `auto`, `manual`, `webhook` or one an application registers. */
  readonly executor: string;
  readonly executorParams: { readonly [key: string]: JsonValue };
  readonly joinType: JoinType;
  readonly splitType: SplitType;
  /** An `or` join's pairing: the `or` split whose block it closes; it waits for the branches that split chose. */
  readonly orJoin?: { readonly split: string };
}

/**
 * Place → transition (an input arc) or transition → place (an output arc). An output arc of a split that
 * decides (`xor`, `or`) carries a CEL `condition` or is the transition's one `default` arc.
 */
export interface Arc {
  readonly from: string;
  readonly to: string;
  readonly condition?: string;
  readonly default?: true;
}

/** A workflow net with every default filled: what is stored and what a case pins. */
export interface WorkflowDefinition {
  readonly id: string;
  readonly name: string;
  readonly places: readonly Place[];
  readonly transitions: readonly Transition[];
  readonly arcs: readonly Arc[];
  readonly metadata: { readonly [key: string]: JsonValue };
}

/** Ids of the contract: `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
