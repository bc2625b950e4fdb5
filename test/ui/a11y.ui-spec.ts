import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loanOnOutput } from '../http/nets.js';
import type { Service, WorkitemBody } from './service.js';
import { ADMIN_KEY, approvalNet, launchChromium, startService, until } from './service.js';

jest.setTimeout(60_000);

let service: Service;
let browser: Browser;
const pageErrors: string[] = [];

const AXE = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');

/** The serious and critical violations axe-core finds against WCAG 2.1 A and AA, one line per rule. */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate<boolean>("typeof window.axe === 'object'"))) await page.evaluate(AXE);
  return page.evaluate<string[]>(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then(
      (result) => result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => v.id + ' (' + v.impact + ', ' + v.help + '): ' + v.nodes.map((n) => n.target.join(' ')).join(', ')),
    )`);
}

/** A deadlock: the and-join waits for the branch the decision did not take. */
const stuckNet = {
  id: 'stuck',
  places: [{ id: 'start', type: 'start' }, { id: 'left' }, { id: 'right' }, { id: 'end', type: 'end' }],
  transitions: [
    { id: 'decide', executor: 'auto', splitType: 'xor' },
    { id: 'merge', executor: 'auto', joinType: 'and' },
  ],
  arcs: [
    { from: 'start', to: 'decide' },
    { from: 'decide', to: 'left', condition: 'case.amount > 100' },
    { from: 'decide', to: 'right', default: true },
    { from: 'left', to: 'merge' },
    { from: 'right', to: 'merge' },
    { from: 'merge', to: 'end' },
  ],
};

/** Each view, reached as a person would, with what shows that it is drawn. */
const VIEWS: readonly (readonly [string, (page: Page) => Promise<void>])[] = [
  [
    'home',
    async (page) => {
      await page.goto(`${service.url}/#/`);
      await page.locator('article[data-workflow="approval"]').waitFor();
    },
  ],
  [
    'workflows, a diagram shown',
    async (page) => {
      await page.goto(`${service.url}/#/workflows`);
      const card = page.locator('article[data-workflow="approval"]');
      await card.getByRole('button', { name: 'Show diagram' }).click();
      await card.locator('svg [data-place="end"]').waitFor();
    },
  ],
  [
    'a workflow, its discard confirmation open',
    async (page) => {
      await page.goto(`${service.url}/#/workflows/approval`);
      await page.locator('.diagram-picture svg [data-place]').first().waitFor();
      await page.getByRole('button', { name: 'Discard…' }).click();
      await page.getByRole('group', { name: 'Confirm discarding' }).waitFor();
    },
  ],
  [
    'define and verify, a counterexample playing',
    async (page) => {
      await page.goto(`${service.url}/#/define`);
      await page.getByLabel('Definition: JSON or PNML').fill(JSON.stringify(stuckNet));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page
        .locator('[data-problem="deadlock"]')
        .first()
        .getByRole('button', { name: 'Play on the diagram' })
        .click();
      await page.getByRole('button', { name: 'Next ▶' }).click();
      await page.locator('.diagram-picture [data-transition="decide"].fired').waitFor();
    },
  ],
  [
    'cases',
    async (page) => {
      await page.goto(`${service.url}/#/cases`);
      await page.locator('tr[data-case="a11y-1"]').waitFor();
    },
  ],
  [
    'a case',
    async (page) => {
      await page.goto(`${service.url}/#/cases/a11y-1`);
      await page.locator('.diagram-picture svg[data-revision]').waitFor();
    },
  ],
  [
    'a case travelled back in time',
    async (page) => {
      await page.goto(`${service.url}/#/cases/a11y-1`);
      await page.locator('.diagram-picture svg[data-revision]').waitFor();
      const slider = page.getByRole('slider', { name: 'Revision' });
      await slider.focus();
      await slider.press('Home');
      await page.locator('.diagram-picture svg[data-revision="0"]').waitFor();
    },
  ],
  [
    'the worklist, a complete form open',
    async (page) => {
      await page.goto(`${service.url}/#/worklist`);
      await page.locator('[data-workitem]').first().getByRole('button', { name: 'Complete…' }).click();
      await page.locator('form.complete').first().waitFor();
    },
  ],
  [
    'incidents',
    async (page) => {
      await page.goto(`${service.url}/#/incidents`);
      await page.locator('[data-incident]').first().waitFor();
    },
  ],
  [
    'a page that does not exist',
    async (page) => {
      await page.goto(`${service.url}/#/nowhere/at/all`);
      await page.locator('h1', { hasText: 'Not found' }).waitFor();
    },
  ],
];

async function signedIn(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${service.url}/`);
  await page.evaluate(`localStorage.setItem('wfnet.apiKey', ${JSON.stringify(ADMIN_KEY)})`);
  await page.reload();
  return page;
}

beforeAll(async () => {
  [service, browser] = await Promise.all([startService(), launchChromium()]);
  const approvalWaiting = async (): Promise<void> => {
    expect((await service.call('POST', '/workflows', approvalNet())).status).toBe(201);
    expect((await service.call('POST', '/cases', { workflowId: 'approval', id: 'a11y-1' })).status).toBe(201);
    await until(
      async () =>
        (await service.call<{ items: WorkitemBody[] }>('GET', '/cases/a11y-1/workitems')).body.items,
      (items) => items.filter((w) => w.state === 'started').length >= 2,
    );
  };
  // An open incident: a condition on an output field that is missing.
  const openIncident = async (): Promise<void> => {
    expect((await service.call('POST', '/workflows', loanOnOutput('loan-a11y'))).status).toBe(201);
    expect(
      (await service.call('POST', '/cases', { workflowId: 'loan-a11y', id: 'loan-a11y-1' })).status,
    ).toBe(201);
    const apply = await until(
      async () =>
        (await service.call<{ items: WorkitemBody[] }>('GET', '/cases/loan-a11y-1/workitems')).body.items,
      (items) => items.some((w) => w.transitionId === 'apply' && w.state === 'started'),
    );
    const applyId = apply.find((w) => w.transitionId === 'apply')!.id;
    expect((await service.call('POST', `/workitems/${applyId}/complete`, { output: {} })).status).toBe(200);
    await until(
      async () => (await service.call<{ items: unknown[] }>('GET', '/incidents')).body.items,
      (items) => items.length > 0,
    );
  };
  await Promise.all([approvalWaiting(), openIncident()]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe.each([
  ['a desktop', { width: 1280, height: 800 }],
  ['a phone', { width: 390, height: 844 }],
])('every view on %s', (_, viewport) => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    context.setDefaultTimeout(15_000);
    page = await signedIn(context);
  });

  afterAll(() => context?.close());

  it.each(VIEWS)('%s has no serious or critical accessibility violation', async (_name, reach) => {
    await reach(page);
    expect(await seriousViolations(page)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
