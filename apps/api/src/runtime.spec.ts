import { describe, expect, it } from '@jest/globals';
import { createCase, oneStepNet } from '@wfnet/domain/testing';
import { loadConfig } from './config/config.js';
import { createRuntime } from './runtime.js';

const net = oneStepNet('manual');
const create = (caseId: string) => createCase(net, { caseId });
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('the runtime’s backpressure on new cases', () => {
  it('waits for the read models only while they follow the store: stopped or rebuilt, they hold nothing back', async () => {
    const runtime = createRuntime(
      loadConfig({ WFNET_EVENT_STORE: 'memory', WFNET_ADMISSION_MAX_LAG: '1' }),
      {},
      quiet,
    );
    await runtime.start();
    try {
      await runtime.engine.executeCase(create('c1'));
      await runtime.runner.stop();
      const positionWhenStopped = runtime.runner.position;

      // Each creation leaves the followers behind; the next is let in once the dispatcher has caught up,
      // not after the 2 s a stalled follower takes to be ignored.
      const started = performance.now();
      for (const caseId of ['c2', 'c3', 'c4']) await runtime.engine.executeCase(create(caseId));
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(runtime.runner.position).toBe(positionWhenStopped);
      expect(await runtime.engine.loadCase('c4')).toMatchObject({ caseId: 'c4', status: 'active' });
    } finally {
      await runtime.stop();
    }
  });
});
