export * from './case-harness.js';
export * from './commands.js';
export * from './nets.js';
export * from './arbitraries.js';
export * from './literature-nets.js';
export * from './conditions.js';
export * from './timing.js';
