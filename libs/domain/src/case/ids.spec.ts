import { describe, expect, it } from '@jest/globals';
import { entityId, parseEntityId } from './ids.js';

describe('entityId', () => {
  it.each([
    ['task', 3, 'order-7:task-3'],
    ['workitem', 1, 'order-7:workitem-1'],
    ['token', 12, 'order-7:token-12'],
  ] as const)('names the %s number %i of its case', (entity, number, id) => {
    expect(entityId('order-7', entity, number)).toBe(id);
  });
});

describe('parseEntityId', () => {
  it('reads back the case and counter of an id it made, even when the case id holds colons', () => {
    expect(parseEntityId('order-7:task-3', 'task')).toEqual({ caseId: 'order-7', number: 3 });
    expect(parseEntityId('a:b:token-10', 'token')).toEqual({ caseId: 'a:b', number: 10 });
  });

  it.each([
    ['an id of another kind', 'order-7:task-3', 'workitem'],
    ['a counter of zero', 'order-7:task-0', 'task'],
    ['a counter with a leading zero', 'order-7:task-03', 'task'],
    ['no case id', ':task-3', 'task'],
    ['an id the engine never makes', 'termination', 'token'],
  ] as const)('answers undefined for %s', (_, id, entity) => {
    expect(parseEntityId(id, entity)).toBeUndefined();
  });
});
