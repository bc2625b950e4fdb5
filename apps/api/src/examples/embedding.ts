/**
 * Embedding wfnet in an application: register your own executor by name and serve the engine with it.
 *
 *   npx tsc -b && PORT=3000 WFNET_EVENT_STORE=memory node apps/api/dist/examples/embedding.js
 *
 * A transition with `"executor": "price"` is then run by `priceExecutor`, in this process, beside the
 * built-in `auto`, `manual` and `webhook`. The settings are the service's (`PORT`, `WFNET_EVENT_STORE`, …).
 */
import { Logger } from '@nestjs/common';
import type { Executor } from '@wfnet/domain';
import { loadConfig } from '../config/config.js';
import { closeOnSignals, createApp } from '../main.js';

/**
 * Completes with the price of the order the workitem's token carries: `quantity × executorParams.unitPrice`.
 * The engine may run an executor twice for one workitem (after a crash), so it does nothing it cannot repeat.
 */
const priceExecutor: Executor = {
  execute: ({ tokens, params }) => {
    const order = tokens[0]?.payload as { quantity?: unknown } | null | undefined;
    const quantity = typeof order?.quantity === 'number' ? order.quantity : 0;
    const unitPrice = typeof params['unitPrice'] === 'number' ? params['unitPrice'] : 0;
    return { status: 'completed', output: { total: quantity * unitPrice } };
  },
};

try {
  const config = loadConfig();
  const app = await createApp({ config, executors: { price: priceExecutor } });
  closeOnSignals(app, new Logger('shop'), config.shutdownGraceMs);
  await app.listen(config.port, config.host);
  new Logger('shop').log(`serving on http://${config.host}:${config.port} with the price executor`);
} catch (error) {
  console.error(`shop: could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
