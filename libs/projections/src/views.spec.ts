import { describe, expect, it } from '@jest/globals';
import { CASE_EVENT_TYPES } from '@wfnet/domain';
import type { Document, ProjectedEvent, View } from './core/view.js';
import { documentIds, projectEvents } from './core/view.js';
import { sampleEvents } from './fixtures.js';
import { readModelViews } from './views.js';

const events = sampleEvents();

/** Every (view, index of an event it handles) pair of the sample. */
const handledEvents = readModelViews.flatMap((view) =>
  events.flatMap((event, index) => (view.handles.includes(event.type) ? [{ view, index, event }] : [])),
);

/** What an event is about, for a case's label: the workitem, task, issued tokens, case or workflow. */
function subjectOf(event: ProjectedEvent): string {
  const data = event.data as {
    workitemId?: string;
    state?: string;
    taskId?: string;
    tokens?: readonly { id: string }[];
    caseId?: string;
    workflowId?: string;
  };
  if (event.type.startsWith('Workitem')) return [data.workitemId, data.state].filter(Boolean).join(' ');
  return data.taskId ?? data.tokens?.map((t) => t.id).join(' ') ?? data.caseId ?? data.workflowId ?? '';
}
const label = ({ view, event }: (typeof handledEvents)[number]) =>
  `${view.name} ← ${event.type} ${subjectOf(event)}`;

function applyTo(view: View, docs: Map<string, Document>, event: ProjectedEvent): Map<string, Document> {
  const next = new Map(docs);
  for (const id of documentIds(view, event)) {
    const after = view.evolve(next.get(id) ?? null, event, id);
    if (after !== null) next.set(id, after);
  }
  return next;
}

describe('every read-model view', () => {
  it('is fed, between them, every case and workflow event type, and the sample holds every one', () => {
    const handled = new Set(readModelViews.flatMap((v) => v.handles));
    const sampled = new Set(events.map((e) => e.type));
    for (const type of [...CASE_EVENT_TYPES, 'WorkflowCreated', 'WorkflowDiscarded']) {
      expect({ type, handled: handled.has(type), sampled: sampled.has(type) }).toEqual({
        type,
        handled: true,
        sampled: true,
      });
    }
  });

  it('has a distinct name', () => {
    const names = readModelViews.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });

  describe.each(handledEvents.map((c) => [label(c), c] as const))(
    'given %s',
    (_label, { view, index, event }) => {
      const before = projectEvents(view, events.slice(0, index + 1));

      it('changes nothing when applied a second time', () => {
        const again = applyTo(view, before, event);
        for (const id of documentIds(view, event)) expect(again.get(id)).toBe(before.get(id));
      });

      it('changes nothing when redelivered after the rest of the history', () => {
        const all = projectEvents(view, events);
        const redelivered = applyTo(view, all, event);
        for (const id of documentIds(view, event)) expect(redelivered.get(id)).toBe(all.get(id));
      });

      it('stamps the documents it changes with its revision and position', () => {
        const previous = projectEvents(view, events.slice(0, index));
        for (const id of documentIds(view, event)) {
          const doc = before.get(id);
          if (doc === previous.get(id)) continue;
          expect(doc).toMatchObject({
            lastRevision: Number(event.revision),
            position: event.position.toString(),
          });
        }
      });
    },
  );

  it('yields documents that survive a JSON round trip unchanged', () => {
    for (const view of readModelViews) {
      for (const doc of projectEvents(view, events).values()) {
        expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
      }
    }
  });
});
