import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { CaseBody, Service, WorkitemBody } from './service.js';
import { ADMIN_KEY, launchChromium, startService, until } from './service.js';
import { loanOnOutput } from '../http/nets.js';

jest.setTimeout(45_000);

let service: Service;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const CASE = 'loan-ui-1';
const INCIDENT = `${CASE}:incident-1`;

beforeAll(async () => {
  service = await startService();
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('the incident panel of a case page', () => {
  it('shows the open incident of a condition that could not be evaluated', async () => {
    expect((await service.call('POST', '/workflows', loanOnOutput('loan-ui'))).status).toBe(201);
    expect((await service.call('POST', '/cases', { workflowId: 'loan-ui', id: CASE })).status).toBe(201);
    const apply = await until(
      async () => (await service.call<{ items: WorkitemBody[] }>('GET', `/cases/${CASE}/workitems`)).body,
      (page) => page.items?.some((w) => w.transitionId === 'apply' && w.state === 'started') === true,
    );
    const workitemId = apply.items.find((w) => w.transitionId === 'apply')?.id as string;
    const completed = await service.call('POST', `/workitems/${workitemId}/complete`, { output: {} });
    expect(completed.status).toBe(200);

    await page.goto(`${service.url}/`);
    await page.evaluate(`localStorage.setItem('wfnet.apiKey', ${JSON.stringify(ADMIN_KEY)})`);
    await page.goto(`${service.url}/#/cases/${CASE}`);
    const incident = page.locator(`[data-incident="${INCIDENT}"]`);
    await incident.waitFor();
    expect(await incident.textContent()).toContain('condition_failed');
    expect(await incident.locator('.incident-message').textContent()).toContain('output.amount > 10000');
    await page.getByText('1 open incident').waitFor();
  });

  it('routes the task to the place an admin chooses among the split’s outputs', async () => {
    const incident = page.locator(`[data-incident="${INCIDENT}"]`);
    await incident.getByRole('button', { name: 'Route…' }).click();
    const choices = incident.getByRole('radio');
    await choices.first().waitFor();
    expect(await choices.count()).toBe(2);
    await incident.getByRole('radio', { name: 'board' }).check();
    await incident.getByRole('button', { name: 'Route', exact: true }).click();
    await incident.getByText('Resolved: routed to board').waitFor();

    const routed = await until(
      async () => (await service.call<CaseBody>('GET', `/cases/${CASE}`)).body,
      (body) => body.marking['board'] === 1,
    );
    expect(routed.state).toBe('active');
    expect(pageErrors).toEqual([]);
  });
});
