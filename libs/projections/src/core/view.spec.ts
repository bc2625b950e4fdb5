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
    const doc = counters.evolve(counters.initial('a'), started!);
    expect(doc).toEqual({ id: 'a', lastRevision: 0, position: '10', count: 1 });
  });

  it('returns the same document for an event at or below its last revision', () => {
    const doc = counters.evolve(counters.evolve(counters.initial('a'), started!), bumped!);
    expect(counters.evolve(doc, bumped!)).toBe(doc);
    expect(counters.evolve(doc, started!)).toBe(doc);
  });

  it('leaves a stub alone for an event that does not create documents', () => {
    const stub = counters.initial('b');
    expect(counters.evolve(stub, bumped!)).toBe(stub);
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
