/**
 * Drops every read model and replays the event store into them from position 0.
 *   npm run rebuild            (reads WFNET_EVENT_STORE, WFNET_READ_STORE and WFNET_SQLITE_SYNC as the service does)
 * Progress goes to stderr once a second; the summary to stdout. Run it while the service is stopped (the
 * embedded store refuses a second process anyway); a running service rebuilds through its admin endpoint.
 */
import { loadConfig } from '../config/config.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { describeProgress } from '../projections/read-model-runner.js';
import { durable, openEventStore, openReadStore } from '../stores/store-kinds.js';

async function main(): Promise<number> {
  const config = loadConfig();
  if (!durable(config.eventStore, config.readStore)) {
    console.error('rebuild: a memory store keeps nothing between processes; there is nothing to rebuild');
    return 2;
  }
  const stores = openEventStore(config.eventStore);
  const readStore = openReadStore(config.readStore);
  try {
    const runner = new ProjectionRunner(stores.eventStore, readStore);
    console.error(`rebuild: ${stores.eventStore.description} → ${readStore.description}`);
    const report = await runner.rebuild((progress) => {
      if (!progress.done) console.error(describeProgress('rebuild', progress));
    });
    console.log(describeProgress('rebuilt', report));
    return 0;
  } finally {
    readStore.close();
    await stores.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`rebuild failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
