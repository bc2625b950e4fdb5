import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { JsonValue, ValidationDetail, WorkflowDefinition } from '@wfnet/domain';
import { ValidationError } from '@wfnet/domain';

/**
 * Ajv compiles a schema into JavaScript on the request's thread, in time about linear in the schema's size
 * (some 4 ms a KiB on a busy machine): these bounds keep one compile, and the check of a whole definition,
 * short. A form rarely needs a tenth of them.
 */
export const MAX_OUTPUT_SCHEMA_BYTES = 16 * 1024;
export const MAX_OUTPUT_SCHEMAS_BYTES = 64 * 1024;
/** A completion answers at most this many violations (Ajv collects them all: `allErrors`). */
export const MAX_OUTPUT_PROBLEMS = 20;

type OutputSchema = NonNullable<WorkflowDefinition['transitions'][number]['outputSchema']>;

const isObject = (value: unknown): value is OutputSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const bytesOf = (schema: OutputSchema): number => Buffer.byteLength(JSON.stringify(schema), 'utf8');

/**
 * A validator of one schema, from an Ajv instance of its own: schemas of different workflows may use the
 * same `$id`, and an instance caches every schema it compiled, so a shared one would refuse the second and
 * never forget the first.
 */
export function compileOutputSchema(schema: OutputSchema): ValidateFunction {
  // Strict: an unknown keyword or format (a typo) is refused when the workflow is defined, not ignored.
  const ajv = new Ajv2020({ allErrors: true, strict: true, logger: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

/**
 * What is wrong with the definition's output schemas, as `invalid_net` details (rule
 * `output_schema_invalid`): one Ajv cannot compile (not a JSON Schema 2020-12, a `$ref` it cannot
 * resolve, an unknown keyword or format), or one over the size bounds.
 */
export function outputSchemaProblems(definition: WorkflowDefinition): ValidationDetail[] {
  const problems: ValidationDetail[] = [];
  let total = 0;
  definition.transitions.forEach((transition, index) => {
    const schema: unknown = transition.outputSchema;
    // One that is not an object is the domain's net rules' to refuse.
    if (!isObject(schema)) return;
    const problem = (message: string): void => {
      problems.push({
        path: `transitions[${index}].outputSchema`,
        message,
        rule: 'output_schema_invalid',
        ids: [transition.id],
      });
    };
    const bytes = bytesOf(schema);
    total += bytes;
    if (bytes > MAX_OUTPUT_SCHEMA_BYTES) {
      problem(
        `the output schema of transition ${transition.id} takes ${bytes} bytes of JSON; at most ${MAX_OUTPUT_SCHEMA_BYTES}`,
      );
      return;
    }
    if (total > MAX_OUTPUT_SCHEMAS_BYTES) {
      problem(
        `the output schemas of the workflow take more than ${MAX_OUTPUT_SCHEMAS_BYTES} bytes of JSON in all`,
      );
      return;
    }
    try {
      compileOutputSchema(schema);
    } catch (error) {
      problem(
        `the output schema of transition ${transition.id} is not a JSON Schema (2020-12) that can be used: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });
  return problems;
}

/** `~` and `/` escaped, as in a JSON pointer's reference tokens. */
const pointerToken = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** A violation where a form shows it: a missing or unexpected member at that member, not at its object. */
function detailOf({ instancePath, keyword, params, message }: ErrorObject): ValidationDetail {
  const member =
    keyword === 'required' || keyword === 'dependentRequired'
      ? (params as { missingProperty?: string }).missingProperty
      : keyword === 'additionalProperties'
        ? (params as { additionalProperty?: string }).additionalProperty
        : undefined;
  const path = `/output${instancePath}${member === undefined ? '' : `/${pointerToken(member)}`}`;
  const text =
    keyword === 'required' || keyword === 'dependentRequired'
      ? 'is required'
      : keyword === 'additionalProperties'
        ? 'is not allowed'
        : (message ?? `fails ${keyword}`);
  return { path, message: text };
}

/** The validators of the workflows' output schemas, compiled on first use and kept, the most recent first. */
export class OutputForms {
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(private readonly capacity = 500) {}

  /** How many validators are kept (at most the capacity). */
  get size(): number {
    return this.#validators.size;
  }

  /**
   * Refuses `output` with `400 validation_failed` unless it satisfies the transition's output schema; a
   * transition without one takes any output. Workflow definitions never change, so the workflow and the
   * transition name the schema.
   */
  assertOutput(
    workflow: WorkflowDefinition,
    transitionId: string,
    workitemId: string,
    output: JsonValue,
  ): void {
    const schema = workflow.transitions.find((t) => t.id === transitionId)?.outputSchema;
    if (schema === undefined) return;
    const validate = this.validatorOf(workflow.id, transitionId, schema);
    if (validate(output)) return;
    const errors = validate.errors ?? [];
    const details = errors.slice(0, MAX_OUTPUT_PROBLEMS).map(detailOf);
    const more = errors.length > details.length ? ` (the first ${details.length} of ${errors.length})` : '';
    throw new ValidationError(
      'validation_failed',
      `the output of workitem ${workitemId} does not satisfy the output schema of transition ${transitionId}${more}`,
      details,
    );
  }

  /** The transition's validator: the one kept, else compiled now (and the least recently used let go). */
  validatorOf(workflowId: string, transitionId: string, schema: OutputSchema): ValidateFunction {
    // Ids cannot hold a NUL, so the key names one pair only.
    const key = `${workflowId}\u0000${transitionId}`;
    let validate = this.#validators.get(key);
    if (validate) {
      this.#validators.delete(key);
    } else {
      validate = compileOutputSchema(schema);
      if (this.#validators.size >= this.capacity) {
        const oldest = this.#validators.keys().next();
        if (!oldest.done) this.#validators.delete(oldest.value);
      }
    }
    this.#validators.set(key, validate);
    return validate;
  }
}
