import type { JsonValue } from '../core/message.js';
import type { ConditionLanguage, ConditionScope } from '../net/conditions.js';
import { ConditionFailure } from '../net/conditions.js';

const COMPARISON = /^(case|output|payload)\.([A-Za-z_][A-Za-z0-9_]*) > (-?[0-9]+)$/;
const NAME = /^'([^']*)'$/;
const CASE_FIELD = /^case\.([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * A test double of the condition language, deterministic and tiny: `true`, `false`, `fail` (always a
 * `ConditionFailure`, as a missing field would be) and `<case|output|payload>.<field> > <integer>`, which
 * fails unless the field holds a number. Assignee expressions: `'<name>'` and `case.<field>`, which fails
 * unless the field holds a string. Every evaluation is counted in `evaluations`.
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
    checkAssignee(source) {
      if (NAME.test(source) || CASE_FIELD.test(source)) return undefined;
      return `cannot read ${JSON.stringify(source)}: expected '<name>' or case.<field>`;
    },
    evaluateAssignee(source, scope) {
      evaluations.push(source);
      const name = NAME.exec(source);
      if (name) return name[1]!;
      const field = CASE_FIELD.exec(source)?.[1];
      if (field === undefined) throw new ConditionFailure(`${source} cannot be evaluated`);
      const value = fieldOf(scope.case, field);
      if (typeof value !== 'string') {
        throw new ConditionFailure(`case.${field} is ${value === undefined ? 'missing' : 'not a string'}`);
      }
      return value;
    },
  };
}

function fieldOf(value: JsonValue, field: string): JsonValue | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return (value as { readonly [key: string]: JsonValue | undefined })[field];
}
