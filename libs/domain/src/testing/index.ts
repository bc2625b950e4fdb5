export * from './case-harness.js';
