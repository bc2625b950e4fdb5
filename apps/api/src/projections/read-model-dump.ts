import type { Document, ProjectedEvent, View } from '@wfnet/projections';
import { projectEvents, readModelViews } from '@wfnet/projections';
import type { RecordedEvent } from '@wfnet/domain';
import type { ReadStore } from './read-store.js';

/** Every document of every read model, by view, in creation order. */
export type ReadModelDump = Record<string, Document[]>;

/** What a read store holds: how two stores, or a store and a fresh fold, are compared. */
export function dumpReadModels(store: ReadStore, views: readonly View[] = readModelViews): ReadModelDump {
  return Object.fromEntries(
    views.map((view) => [view.name, store.list(view.name, { filter: {} }).map((r) => r.doc)]),
  );
}

/** The read models that folding these events from nothing gives, in the form of `dumpReadModels`. */
export function foldReadModels(
  events: readonly RecordedEvent[],
  views: readonly View[] = readModelViews,
): ReadModelDump {
  const projected = events as unknown as readonly ProjectedEvent[];
  return Object.fromEntries(views.map((view) => [view.name, [...projectEvents(view, projected).values()]]));
}
