export * from './read-store.js';
export * from './tables.js';
export * from './memory-read-store.js';
export * from './sqlite-read-store.js';
export * from './projection-runner.js';
export * from './read-models.js';
export * from './read-model-dump.js';
