import { describe, expect, it } from '@jest/globals';
import type { Event } from '@wfnet/domain';
import type { Document } from './view.js';
import { defineView, documentIds, projectEvents } from './view.js';
import { recordStream } from '../fixtures.js';

interface Counter extends Document {
  readonly count: number;
}
type CounterEvent = Event<'Started', { id: string }> | Event<'Bumped', { ids: readonly string[] }>;

const counters = defineView<Counter, CounterEvent>({
  name: 'counters',
  handles: ['Started', 'Bumped'],
  creates: ['Started'],
  documentId: (event) => (event.type === 'Started' ? event.data.id : event.data.ids),
  initial: (id) => ({ id, lastRevision: -1, position: '0', count: 0 }),
  apply: (doc, event) => (event.type === 'Started' ? { ...doc, count: 1 } : { ...doc, count: doc.count + 1 }),
});

const [started, bumped, bumpedAgain] = recordStream<CounterEvent>(
  's-1',
  [
    { type: 'Started', data: { id: 'a' } },
    { type: 'Bumped', data: { ids: ['a', 'b'] } },
    { type: 'Bumped', data: { ids: ['a'] } },
  ],
  10n,
);

describe('a view built by defineView', () => {
  it('applies a new event and stamps the revision and position', () => {
    const doc = counters.evolve(null, started!, 'a');
    expect(doc).toEqual({ id: 'a', lastRevision: 0, position: '10', count: 1 });
  });

  it('returns the same document for an event at or below its last revision', () => {
    const doc = counters.evolve(counters.evolve(null, started!, 'a'), bumped!, 'a');
    expect(counters.evolve(doc, bumped!, 'a')).toBe(doc);
    expect(counters.evolve(doc, started!, 'a')).toBe(doc);
  });

  it('leaves a document no event has created absent for an event that does not create documents', () => {
    expect(counters.evolve(null, bumped!, 'b')).toBeNull();
  });

  it('gives a new document and leaves the one it was given as it was', () => {
    const before = counters.evolve(null, started!, 'a');
    const after = counters.evolve(before, bumped!, 'a');
    expect(after).not.toBe(before);
    expect(before).toEqual({ id: 'a', lastRevision: 0, position: '10', count: 1 });
    expect(after).toEqual({ id: 'a', lastRevision: 1, position: '11', count: 2 });
  });

  it('tells a caller that updates its own copy what the event writes, or nothing', () => {
    const doc = counters.evolve(null, started!, 'a');
    expect(counters.changes(doc, bumped!, 'a')).toMatchObject({ count: 2 });
    expect(counters.changes(doc, started!, 'a')).toBeUndefined();
    expect(counters.changes(null, bumped!, 'b')).toBeUndefined();
  });

  it('lists the ids of an event whether the view names one or several', () => {
    expect(documentIds(counters, started!)).toEqual(['a']);
    expect(documentIds(counters, bumped!)).toEqual(['a', 'b']);
  });
});

describe('projectEvents', () => {
  it('folds events into the documents they created, skipping stubs', () => {
    const docs = projectEvents(counters, [started!, bumped!, bumpedAgain!]);
    expect([...docs.values()]).toEqual([{ id: 'a', lastRevision: 2, position: '12', count: 3 }]);
  });

  it('ignores events the view does not handle', () => {
    const other = { ...started!, type: 'Other' } as unknown as typeof started;
    expect(projectEvents(counters, [other!]).size).toBe(0);
  });
});
