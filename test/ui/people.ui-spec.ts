import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import type { CaseBody, Service } from './service.js';
import {
  ADMIN_KEY,
  READER_KEY,
  accessibilityViolations,
  launchChromium,
  startService,
  until,
} from './service.js';

jest.setTimeout(60_000);

// The purchase request of examples/ played by three people, each in their own browser: the requester, a
// sales manager, and finance. Each sees only their own work.
const KEYS = {
  sam: 'sam-key',
  mia: 'mia-key',
  fay: 'fay-key',
} as const;
type Person = keyof typeof KEYS;

let service: Service;
let browser: Browser;
const pages = {} as Record<Person | 'reader', Page>;
const pageErrors: string[] = [];

const CASE = 'pr-1';

async function openAs(key: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${service.url}/`);
  await page.evaluate(`localStorage.setItem('wfnet.apiKey', ${JSON.stringify(key)})`);
  // Refreshed often, so one person's action reaches the others' lists within a test step.
  await page.evaluate(`localStorage.setItem('wfnet.worklistRefreshMs', '300')`);
  return page;
}

const worklist = async (page: Page, view: 'mine' | 'available' | 'all') => {
  await page.goto(`${service.url}/#/worklist?view=${view}`);
  await page.locator(`ul.worklist[data-view="${view}"], .state.empty`).first().waitFor();
};

const card = (page: Page, transition: string): Locator =>
  page.locator(`article.workitem[data-transition="${transition}"]`, { hasText: CASE });

/** The transitions of the cards a person's list shows, once it has settled on `expected`. */
async function shows(page: Page, expected: string[]): Promise<string[]> {
  return until(
    () =>
      page.evaluate<string[]>(
        "[...document.querySelectorAll('article.workitem')].map((c) => c.dataset.transition).sort()",
      ),
    (seen) => JSON.stringify(seen) === JSON.stringify([...expected].sort()),
  );
}

const field = (scope: Locator, label: string) => scope.getByLabel(new RegExp(`^${label}`));

beforeAll(async () => {
  [service, browser] = await Promise.all([
    startService({
      WFNET_API_KEYS: [
        `${ADMIN_KEY}:admin`,
        `${READER_KEY}:reader`,
        `${KEYS.sam}:worker:sam:staff|sales-managers`,
        `${KEYS.mia}:worker:mia:sales-managers`,
        `${KEYS.fay}:worker:fay:finance`,
      ].join(','),
    }),
    launchChromium(),
  ]);
  const net = JSON.parse(readFileSync('examples/purchase-request.json', 'utf8')) as unknown;
  expect((await service.call('POST', '/workflows', net)).status).toBe(201);
  const started = await service.call('POST', '/cases', {
    workflowId: 'purchase-request',
    id: CASE,
    data: { requester: 'sam' },
  });
  expect(started.status).toBe(201);
  const people = Object.keys(KEYS) as Person[];
  const opened = await Promise.all([...people.map((person) => openAs(KEYS[person])), openAs(READER_KEY)]);
  people.forEach((person, n) => (pages[person] = opened[n]!));
  pages.reader = opened[people.length]!;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('a purchase request worked by three people in their own browsers', () => {
  it('offers the submission to the requester alone', async () => {
    for (const person of ['sam', 'mia', 'fay'] as const) await worklist(pages[person], 'available');
    await shows(pages.sam, ['submit']);
    await shows(pages.mia, []);
    await shows(pages.fay, []);
    expect(await pages.sam.locator('.whoami').textContent()).toContain(
      'Signed in as sam (worker; staff, sales-managers)',
    );
    expect(await card(pages.sam, 'submit').locator('.assignment').textContent()).toContain('assigned to you');
    expect(await accessibilityViolations(pages.sam)).toEqual([]);
  });

  it('lets the requester claim it, find it under My work and submit the form', async () => {
    const sam = pages.sam;
    await card(sam, 'submit').getByRole('button', { name: 'Claim' }).click();
    await card(sam, 'submit').locator('.claim', { hasText: 'claimed by you' }).waitFor();
    await worklist(sam, 'mine');
    await shows(sam, ['submit']);

    const submit = card(sam, 'submit');
    await submit.getByRole('button', { name: 'Complete…' }).click();
    const form = submit.locator('form.complete');
    await field(form, 'Item').fill('Demo laptops');
    await field(form, 'Amount').fill('12500');
    await field(form, 'Department').selectOption({ label: 'sales' });
    await field(form, 'Reason').fill('The sales team demonstrates on site.');
    expect(await accessibilityViolations(sam)).toEqual([]);
    await form.getByRole('button', { name: 'Complete', exact: true }).click();
    await sam.getByText(`Completed submit of case ${CASE}.`).waitFor();
    await shows(sam, []);
  });

  it('offers the approval to the sales managers, and refuses it to the requester (four eyes)', async () => {
    await worklist(pages.sam, 'available');
    await worklist(pages.mia, 'available');
    await worklist(pages.fay, 'available');
    await shows(pages.sam, ['sales-approval']);
    await shows(pages.mia, ['sales-approval']);
    await shows(pages.fay, []);
    // The manager sees what was asked for, not a map of workitem ids.
    const input = card(pages.mia, 'sales-approval').locator('.input');
    await input.getByText('Demo laptops').waitFor();
    expect(await input.textContent()).toContain('From submit');

    const approval = card(pages.sam, 'sales-approval');
    await approval.getByRole('button', { name: 'Complete…' }).click();
    const form = approval.locator('form.complete');
    await field(form, 'Approved').check();
    await form.getByRole('button', { name: 'Complete', exact: true }).click();
    const refusal = form.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.getAttribute('data-code')).toBe('separation_of_duties');
    expect(await refusal.textContent()).toBe(
      `Could not complete the workitem: sam completed submit in case ${CASE}, so may not complete workitem ${CASE}:workitem-2 (sales-approval): four eyes.`,
    );
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('lets a manager claim the approval away from the others and approve it', async () => {
    const mia = pages.mia;
    await card(mia, 'sales-approval').getByRole('button', { name: 'Claim' }).click();
    await card(mia, 'sales-approval').locator('.claim', { hasText: 'claimed by you' }).waitFor();
    // Claimed by someone else, it is no longer available to the requester.
    await shows(pages.sam, []);

    const approval = card(mia, 'sales-approval');
    await approval.getByRole('button', { name: 'Complete…' }).click();
    const form = approval.locator('form.complete');
    await field(form, 'Approved').check();
    await field(form, 'Comment').fill('Within the quarter’s budget.');
    await form.getByRole('button', { name: 'Complete', exact: true }).click();
    await mia.getByText(`Completed sales-approval of case ${CASE}.`).waitFor();
  });

  it('sends an amount over 10,000 to finance, who alone sees it and approves', async () => {
    const fay = pages.fay;
    await shows(fay, ['finance-approval']);
    await shows(pages.mia, []);
    await shows(pages.sam, []);
    const approval = card(fay, 'finance-approval');
    await approval.getByRole('button', { name: 'Claim' }).click();
    await approval.locator('.claim', { hasText: 'claimed by you' }).waitFor();
    await approval.getByRole('button', { name: 'Complete…' }).click();
    const form = approval.locator('form.complete');
    await field(form, 'Approved').check();
    await field(form, 'Budget code').fill('SA-2027');
    await form.getByRole('button', { name: 'Complete', exact: true }).click();
    await fay.getByText(`Completed finance-approval of case ${CASE}.`).waitFor();

    await until(
      async () => (await service.call<CaseBody>('GET', `/cases/${CASE}`)).body,
      (body) => body.state === 'finished',
    );
    const events = await service.call<{ type: string; data: { by?: string; state?: string } }[]>(
      'GET',
      `/cases/${CASE}/events`,
    );
    const completedBy = events.body
      .filter((e) => e.type === 'WorkitemUpdated' && e.data.state === 'completed')
      .map((e) => e.data.by);
    expect(completedBy).toEqual(['sam', 'mia', 'fay']);
    expect(pageErrors).toEqual([]);
  });
});

describe('the actions a role may take', () => {
  it('shows a reader who they are and no Start, Claim, Complete, Terminate or Resolve', async () => {
    const reader = pages.reader;
    const second = await service.call('POST', '/cases', {
      workflowId: 'purchase-request',
      id: 'pr-2',
      data: { requester: 'sam' },
    });
    expect(second.status).toBe(201);
    await reader.goto(`${service.url}/#/worklist?view=all`);
    await reader.locator('article.workitem', { hasText: 'pr-2' }).waitFor();
    expect(await reader.locator('article.workitem button').count()).toBe(0);
    expect(await reader.locator('.whoami').textContent()).toContain('Signed in as reader (reader)');
    expect(await reader.locator('nav.tabs a').allTextContents()).toEqual(['Everything']);

    await reader.goto(`${service.url}/#/workflows`);
    await reader.locator('article[data-workflow="purchase-request"]').waitFor();
    expect(await reader.getByRole('link', { name: 'Start a case…' }).count()).toBe(0);
    await reader.goto(`${service.url}/#/workflows/purchase-request`);
    await reader.locator('h1', { hasText: 'Purchase request' }).waitFor();
    expect(await reader.getByRole('button', { name: 'Start case' }).count()).toBe(0);
    await reader.goto(`${service.url}/#/cases/pr-2`);
    await reader.locator('h1', { hasText: 'Case pr-2' }).waitFor();
    await reader.locator('table.workitems tr[data-workitem]').first().waitFor();
    expect(await reader.getByRole('button', { name: /Terminate|Complete|Abandon|Claim/ }).count()).toBe(0);
    expect(await accessibilityViolations(reader)).toEqual([]);
  });

  it('says plainly that a saved key was refused', async () => {
    const page = await openAs('not-a-key');
    await page.goto(`${service.url}/#/worklist`);
    const alert = page.locator('main').getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('This API key was refused');
    expect(await alert.textContent()).not.toContain('Enter an API key above');
    const refused = page.locator('.whoami.refused');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('This API key was refused');
  });
});

describe('an admin', () => {
  it("sees everything and may release someone else's claim, recorded as an override", async () => {
    const claimed = await service.call('POST', '/workitems/pr-2:workitem-1/claim', undefined, KEYS.sam);
    expect(claimed.status).toBe(200);
    const admin = await openAs(ADMIN_KEY);
    await admin.goto(`${service.url}/#/worklist?view=all`);
    expect(await admin.locator('nav.tabs a').allTextContents()).toEqual([
      'My work',
      'Available to me',
      'Everything',
    ]);
    const submit = admin.locator('article.workitem', { hasText: 'pr-2' });
    await submit.locator('.claim', { hasText: 'claimed by sam' }).waitFor();
    await submit.getByRole('button', { name: 'Release sam’s claim' }).click();
    await submit.getByRole('button', { name: 'Claim' }).waitFor();
    const events = await service.call<
      { type: string; data: { by?: string; claimedBy?: string; override?: string[] } }[]
    >('GET', '/cases/pr-2/events');
    expect(events.body.filter((e) => e.type === 'WorkitemReleased').map((e) => e.data)).toEqual([
      expect.objectContaining({ by: 'admin', claimedBy: 'sam', override: ['workitem_claimed'] }),
    ]);
    expect(pageErrors).toEqual([]);
  });
});
