import { describe, expect, it } from '@jest/globals';
import { createCase, oneStepNet } from '@wfnet/domain/testing';
import { loadConfig } from '../config/config.js';
import { createRuntime } from '../runtime.js';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** The metrics of a runtime on a memory store, after one case was created. */
async function metricsAfterOneCase(env: Readonly<Record<string, string>>): Promise<string> {
  const runtime = createRuntime(loadConfig({ WFNET_EVENT_STORE: 'memory', ...env }), {}, quiet);
  await runtime.start();
  try {
    await runtime.engine.executeCase(createCase(oneStepNet('manual'), { caseId: 'c1' }));
    return await runtime.metrics.text();
  } finally {
    await runtime.stop();
  }
}

const samples = (text: string): string[] => text.split('\n').filter((line) => /^wfnet_\w+[{ ]/.test(line));

describe('the metrics’ process label', () => {
  it('labels every sample with WFNET_PROCESS_NAME when it is set', async () => {
    const text = await metricsAfterOneCase({ WFNET_PROCESS_NAME: 'api-2' });

    expect(text).toContain('wfnet_commands_total{type="CreateCase",outcome="ok",process="api-2"} 1');
    expect(text).toContain('wfnet_events_appended_total{process="api-2"} ');
    expect(samples(text).length).toBeGreaterThan(10);
    expect(samples(text).filter((line) => !line.includes('process="api-2"'))).toEqual([]);
  });

  it('carries no process label when WFNET_PROCESS_NAME is not set, as one process always showed them', async () => {
    const text = await metricsAfterOneCase({});

    expect(text).toContain('wfnet_commands_total{type="CreateCase",outcome="ok"} 1');
    expect(text).toMatch(/^wfnet_events_appended_total \d+$/m);
    expect(samples(text).length).toBeGreaterThan(10);
    expect(text).not.toContain('process=');
  });
});
