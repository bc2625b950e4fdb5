export * from './definition.js';
export * from './kinds.js';
export * from './net.js';
export * from './normalize.js';
export * from './validate.js';
export * from './marking.js';
export * from './verify.js';
export { netFromBlock } from './blocks.js';
export type { ExecutorName, NetBlock } from './blocks.js';
/** The example nets: sequential, parallel, approval (a deferred choice) and traffic light (a loop). */
export * as exampleNets from './fixtures.js';
