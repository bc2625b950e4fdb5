// The HTTP service is not built yet: say so plainly instead of pretending to serve.
console.error('wfnet: the HTTP service is not available yet; `npm test` runs the engine and its stores.');
process.exit(1);
