import { describe, expect, it } from '@jest/globals';
import { approvalNet } from '../net/fixtures.js';
import { completeWorkitem, ids, startCase, terminateCase } from '../testing/index.js';
import { CASE_EVENT_TYPES, caseStreamId } from './events.js';

describe('case events', () => {
  it('live in the stream case-{id}', () => {
    expect(caseStreamId('order-7')).toBe('case-order-7');
  });

  it('are listed once each, and every event a case records is listed', () => {
    expect(new Set(CASE_EVENT_TYPES).size).toBe(CASE_EVENT_TYPES.length);
    const run = startCase(approvalNet());
    run.send(completeWorkitem(ids.workitem(2), 'approved'));
    const other = startCase(approvalNet());
    other.send(terminateCase());
    const recorded = new Set([...run.history, ...other.history].map((e) => e.type));
    expect(CASE_EVENT_TYPES).toEqual(expect.arrayContaining([...recorded]));
  });

  it('are plain JSON that reads back equal', () => {
    const { history } = startCase(approvalNet(), { data: { order: 7 } });
    expect(JSON.parse(JSON.stringify(history))).toEqual(history);
  });
});
