// What the service uses: the views that keep the read models, the documents they keep, and a fold of
// events into a view's documents. How a view is defined and patched stays inside.
export type { Document, ProjectedEvent, View } from './core/view.js';
export { projectEvents } from './core/view.js';
export type { TokenDocument } from './tokens/tokens-view.js';
export type { WorkitemDocument } from './workitems/workitems-view.js';
export { candidateTags, candidateTagsOf, isAvailableTo } from './workitems/workitems-view.js';
export type { TaskDocument, TaskTokenState } from './tasks/tasks-view.js';
export type { CaseDocument } from './cases/cases-view.js';
export type { IncidentDocument, IncidentState } from './incidents/incidents-view.js';
export type { TimerDocument, TimerState } from './timers/timers-view.js';
export type { WorkflowDocument } from './workflows/workflows-view.js';
export { readModelViews } from './views.js';
