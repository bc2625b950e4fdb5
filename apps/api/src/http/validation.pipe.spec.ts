import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '@wfnet/domain';
import { CreateWorkflowDto } from '../workflows/workflow.dto.js';
import { DtoValidationPipe } from './validation.pipe.js';

const pipe = new DtoValidationPipe();
const asBody = { type: 'body', metatype: CreateWorkflowDto } as const;

/** A chain of `steps` manual steps: 2 × steps + 1 arcs, longer lists than one turn validates. */
function chain(steps: number) {
  return {
    id: 'chain',
    name: 'chain',
    places: Array.from({ length: steps + 1 }, (_, i) => ({ id: `p${i}` })),
    transitions: Array.from({ length: steps }, (_, i) => ({ id: `t${i}`, executor: 'manual' })),
    arcs: Array.from({ length: steps }, (_, i) => [
      { from: `p${i}`, to: `t${i}` },
      { from: `t${i}`, to: `p${i + 1}` },
    ]).flat(),
    metadata: {},
  };
}

async function refusal(body: unknown): Promise<ValidationError> {
  try {
    await pipe.transform(body, asBody);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('the body was taken');
}

describe('validating a body with lists longer than one turn of the event loop', () => {
  it('takes every item, free-form members kept as sent', async () => {
    const body = chain(600);
    body.transitions[555] = { id: 't555', executor: 'manual', executorParams: { form: { a: [1] } } } as never;
    const instance = (await pipe.transform(body, asBody)) as CreateWorkflowDto;
    expect(instance).toBeInstanceOf(CreateWorkflowDto);
    expect(instance.places).toHaveLength(601);
    expect(instance.arcs).toHaveLength(1200);
    expect(instance.arcs[1199]).toEqual({ from: 't599', to: 'p600' });
    expect(instance.transitions[555]?.executorParams).toEqual({ form: { a: [1] } });
  });

  it('answers each problem once, where it is in the whole body, in the order of the members', async () => {
    const body = chain(600) as Record<string, unknown> & ReturnType<typeof chain>;
    body.arcs[3] = { from: 7, to: 't1' } as never;
    body.arcs[1100] = { from: 'p550' } as never;
    body.places[580] = { id: ['p580'] } as never;
    body.name = 12 as never;
    const { details } = await refusal(body);
    expect(details).toEqual([
      { path: 'name', message: 'name must be a string' },
      { path: 'places[580].id', message: 'id must be a string' },
      { path: 'arcs[3].from', message: 'from must be a string' },
      { path: 'arcs[1100].to', message: 'to must be a string' },
    ]);
  });

  it('lets other work run between slices', async () => {
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    await pipe.transform(chain(1_000), asBody);
    counting = false;
    expect(turns).toBeGreaterThanOrEqual(8);
  });
});
