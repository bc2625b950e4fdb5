import type { Arc, WorkflowDefinition } from './definition.js';
import { stronglyConnected } from './graph.js';
import { splitKinds } from './kinds.js';

export type SoundnessWarningCode = 'conditional_exit_only' | 'condition_always_false' | 'condition_shadowed';

export interface SoundnessWarning {
  readonly code: SoundnessWarningCode;
  readonly message: string;
  /** The nodes concerned: an arc's `from` and `to`, or the nodes of a cycle in definition order. */
  readonly ids: readonly string[];
}

const isWordCharacter = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/**
 * A condition's source without the whitespace that separates no tokens: runs of whitespace go, or become
 * one space between two word characters (`a in b`); string literals are kept as written.
 */
export function normalizeCondition(source: string): string {
  let normalized = '';
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (quote !== undefined) {
      normalized += c;
      if (c === '\\' && i + 1 < source.length) normalized += source[++i]!;
      else if (c === quote) quote = undefined;
    } else if (/\s/.test(c)) {
      let j = i;
      while (j + 1 < source.length && /\s/.test(source[j + 1]!)) j++;
      if (isWordCharacter(normalized.at(-1)) && isWordCharacter(source[j + 1])) normalized += ' ';
      i = j;
    } else {
      if (c === '"' || c === "'") quote = c;
      normalized += c;
    }
  }
  return normalized;
}

/**
 * What verification cannot see of a net's decisions, since it takes each route of a decision as a free
 * choice: arcs a condition never lets a token take, and cycles a case leaves only when some condition
 * holds (under the free choice it may always leave; on real data it may go round forever).
 */
export function decisionWarnings(definition: WorkflowDefinition): SoundnessWarning[] {
  return [...neverTakenArcs(definition), ...conditionalExitOnlyCycles(definition)];
}

const arcName = ({ from, to }: Arc): string => `${from} → ${to}`;

function neverTakenArcs(definition: WorkflowDefinition): SoundnessWarning[] {
  const warnings: SoundnessWarning[] = [];
  const firstDecides = new Set(
    definition.transitions.filter((t) => splitKinds[t.splitType].decides === 'first').map((t) => t.id),
  );
  // By xor split, then by normalized condition: the first arc that carries it.
  const earlier = new Map<string, Map<string, Arc>>();
  for (const arc of definition.arcs) {
    if (arc.condition === undefined) continue;
    const condition = normalizeCondition(arc.condition);
    if (condition === 'false') {
      warnings.push({
        code: 'condition_always_false',
        message: `arc ${arcName(arc)} has the condition false: no case ever takes it`,
        ids: [arc.from, arc.to],
      });
      continue;
    }
    if (!firstDecides.has(arc.from)) continue;
    const conditions = earlier.get(arc.from) ?? new Map<string, Arc>();
    earlier.set(arc.from, conditions);
    const first = conditions.get(condition);
    if (first) {
      warnings.push({
        code: 'condition_shadowed',
        message:
          `arc ${arcName(arc)} is never taken: the earlier arc ${arcName(first)} has the same condition, ` +
          `and an xor split takes the first arc whose condition holds`,
        ids: [arc.from, arc.to],
      });
    } else {
      conditions.set(condition, arc);
    }
  }
  return warnings;
}

/**
 * A set of nodes that arcs without a condition never leave, once entered, holds a cycle left only by
 * conditional arcs. These are exactly the terminal components of the graph of unconditional arcs that
 * are cycles (end, which nothing leaves, is alone in its component).
 */
function conditionalExitOnlyCycles(definition: WorkflowDefinition): SoundnessWarning[] {
  const ids = [...definition.places.map((p) => p.id), ...definition.transitions.map((t) => t.id)];
  const index = new Map(ids.map((id, i) => [id, i]));
  const unconditional: number[][] = ids.map(() => []);
  const conditional: { from: number; to: number; arc: Arc }[] = [];
  for (const arc of definition.arcs) {
    const from = index.get(arc.from);
    const to = index.get(arc.to);
    if (from === undefined || to === undefined) continue;
    if (arc.condition === undefined) unconditional[from]!.push(to);
    else conditional.push({ from, to, arc });
  }
  const warnings: SoundnessWarning[] = [];
  for (const members of stronglyConnected(ids.length, (n) => unconditional[n]!)) {
    if (members.length < 2) continue;
    const inside = new Set(members);
    if (members.some((n) => unconditional[n]!.some((to) => !inside.has(to)))) continue;
    const exits = conditional.filter(({ from, to }) => inside.has(from) && !inside.has(to));
    // A cycle nothing leaves is a livelock, which the state space reports.
    if (exits.length === 0) continue;
    const cycle = [...members].sort((a, b) => a - b).map((n) => ids[n]!);
    warnings.push({
      code: 'conditional_exit_only',
      message:
        `the cycle through ${cycle.join(', ')} is left only by conditional arcs ` +
        `(${exits.map(({ arc }) => arcName(arc)).join(', ')}): a case goes round it until one of their conditions holds`,
      ids: cycle,
    });
  }
  return warnings;
}
