export * from './core/view.js';
export * from './tokens/tokens-view.js';
export * from './workitems/workitems-view.js';
export * from './tasks/tasks-view.js';
export * from './cases/cases-view.js';
export * from './workflows/workflows-view.js';
export * from './views.js';
