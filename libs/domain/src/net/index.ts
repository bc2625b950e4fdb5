export * from './definition.js';
export * from './net.js';
export * from './normalize.js';
export * from './validate.js';
export * from './marking.js';
export * from './verify.js';
