import type { JsonValue } from '../core/message.js';
import type { ConditionLanguage, ConditionScope } from '../net/conditions.js';
import { ConditionFailure } from '../net/conditions.js';

const COMPARISON = /^(case|output|payload)\.([A-Za-z_][A-Za-z0-9_]*) > (-?[0-9]+)$/;

/**
 * A test double of the condition language, deterministic and tiny: `true`, `false`, `fail` (always a
 * `ConditionFailure`, as a missing field would be) and `<case|output|payload>.<field> > <integer>`, which
 * fails unless the field holds a number. Every evaluation is counted in `evaluations`.
 */
export function fakeConditions(): ConditionLanguage & { readonly evaluations: string[] } {
  const evaluations: string[] = [];
  return {
    evaluations,
    check(source) {
      if (source === 'true' || source === 'false' || source === 'fail' || COMPARISON.test(source)) {
        return undefined;
      }
      return `cannot read ${JSON.stringify(source)}: expected true, false, fail or <variable>.<field> > <integer>`;
    },
    evaluate(source, scope) {
      evaluations.push(source);
      if (source === 'true') return true;
      if (source === 'false') return false;
      const match = COMPARISON.exec(source);
      if (source === 'fail' || !match) throw new ConditionFailure(`${source} cannot be evaluated`);
      const [, variable, field, bound] = match;
      const value = fieldOf(
        scope[variable as keyof Pick<ConditionScope, 'case' | 'output' | 'payload'>],
        field!,
      );
      if (typeof value !== 'number') {
        throw new ConditionFailure(
          `${variable}.${field} is ${value === undefined ? 'missing' : 'not a number'}`,
        );
      }
      return value > Number(bound);
    },
  };
}

function fieldOf(value: JsonValue, field: string): JsonValue | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return (value as { readonly [key: string]: JsonValue | undefined })[field];
}
