export * from './definition.js';
export * from './net.js';
