import type { View } from './core/view.js';
import { casesView } from './cases/cases-view.js';
import { incidentsView } from './incidents/incidents-view.js';
import { tasksView } from './tasks/tasks-view.js';
import { timersView } from './timers/timers-view.js';
import { tokensView } from './tokens/tokens-view.js';
import { workflowsView } from './workflows/workflows-view.js';
import { workitemsView } from './workitems/workitems-view.js';

/** Every read model the service keeps. */
export const readModelViews: readonly View[] = [
  workflowsView,
  casesView,
  tokensView,
  tasksView,
  workitemsView,
  incidentsView,
  timersView,
];
