import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CaseBody, Service, WorkitemBody } from './service.js';
import { ADMIN_KEY, approvalNet, launchChromium, screenshot, startService, until } from './service.js';

// A browser step waits up to 15 s for what it expects; a test may take a few of them.
jest.setTimeout(45_000);

// One story, step by step: each test goes on from where the previous one left the browser.
let service: Service;
let browser: Browser;
let context: BrowserContext;
/** The case page, left open to watch the live diagram. */
let casePage: Page;
/** The worklist, in a second tab. */
let worklist: Page;
/** A blank tab that measures screenshots. */
let checker: Page;
const pageErrors: string[] = [];

const CASE = 'review-1';

/** The diagram on a page, in the state the selector asks for; fails after the default timeout. */
const diagram = (page: Page, selector: string) => page.locator(`.diagram-picture svg ${selector}`);

/** Notices go by themselves after a few seconds; the screenshots are taken without them. */
async function clearNotice(page: Page): Promise<void> {
  const dismiss = page.getByRole('button', { name: 'Dismiss' });
  if (await dismiss.isVisible()) await dismiss.click({ timeout: 2000 }).catch(() => undefined);
  await page.locator('.notice').waitFor({ state: 'detached' });
}

async function expectNotBlank(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await clearNotice(page);
  const look = await screenshot(page, checker, name, options);
  expect(look.width).toBeGreaterThan(300);
  expect(look.colours).toBeGreaterThan(16);
  expect(look.inked).toBeGreaterThan(0.01);
  expect(look.inked).toBeLessThan(0.9);
}

/** The revision the case page is showing, once its diagram has been drawn at that revision. */
async function shownRevision(page: Page): Promise<number> {
  const shown = await page.locator('.travel-status').getAttribute('data-shown-revision');
  await page.locator(`.diagram-picture svg[data-revision="${shown}"]`).waitFor();
  return Number(shown);
}

const placeTokens = async (page: Page, place: string) => {
  const node = diagram(page, `[data-place="${place}"]`);
  return {
    free: Number(await node.getAttribute('data-free')),
    locked: Number(await node.getAttribute('data-locked')),
    done: Number(await node.getAttribute('data-done')),
  };
};

beforeAll(async () => {
  service = await startService();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  context.setDefaultTimeout(15_000);
  checker = await context.newPage();
  casePage = await context.newPage();
  casePage.on('pageerror', (error) => pageErrors.push(error.message));
}, 60_000);

afterAll(async () => {
  // The browser first: its open event streams would hold the server.
  await browser?.close();
  await service?.stop();
});

describe('the web UI, from defining a net to travelling back in a case', () => {
  it('defines the approval net through the API', async () => {
    const reply = await service.call('POST', '/workflows', approvalNet());
    expect(reply.status).toBe(201);
  });

  it('asks for an API key when the service wants one, then lists the workflows', async () => {
    await casePage.goto(`${service.url}/`);
    const alert = casePage.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Enter an API key above');

    await casePage.getByRole('textbox', { name: 'API key' }).fill(ADMIN_KEY);
    await casePage.getByRole('textbox', { name: 'API key' }).press('Enter');
    const card = casePage.locator('article[data-workflow="approval"]');
    await card.waitFor();
    expect(await card.locator('h2').textContent()).toBe(
      'Deferred choice: whichever reviewer acts first decides',
    );
    expect(await casePage.evaluate<string | null>("localStorage.getItem('wfnet.apiKey')")).toBe(ADMIN_KEY);
  });

  it('shows the diagram of a workflow', async () => {
    const card = casePage.locator('article[data-workflow="approval"]');
    await card.getByRole('button', { name: 'Show diagram' }).click();
    for (const place of ['start', 'submitted', 'end'])
      await card.locator(`svg [data-place="${place}"]`).waitFor();
    expect(await card.locator('svg [data-transition]').count()).toBe(3);
    expect(await card.locator('svg path.arc').count()).toBe(6);
    expect(await card.getByRole('button', { name: 'Hide diagram' }).getAttribute('aria-expanded')).toBe(
      'true',
    );
    await expectNotBlank(casePage, 'workflows');
  });

  it('starts a case from the workflow page, refusing data that is not JSON', async () => {
    await casePage
      .locator('article[data-workflow="approval"]')
      .getByRole('link', { name: 'Start a case…' })
      .click();
    await casePage.locator('h1', { hasText: 'Deferred choice' }).waitFor();
    await casePage.getByLabel(/^Case id/).fill(CASE);
    const data = casePage.getByLabel(/^Data \(JSON\)/);
    await data.fill('{"document": ');
    expect(await data.getAttribute('aria-invalid')).toBe('true');
    expect(await casePage.getByRole('button', { name: 'Start case' }).isDisabled()).toBe(true);
    await casePage.getByText('Not valid JSON').waitFor();
    await expectNotBlank(casePage, 'start-case');

    await data.fill('{"document": "budget-2027.pdf"}');
    expect(await data.getAttribute('aria-invalid')).toBe('false');
    await casePage.getByRole('button', { name: 'Start case' }).click();
    await casePage.waitForURL(`**/#/cases/${CASE}`);
    await casePage.locator('.notice', { hasText: `Case ${CASE} started.` }).waitFor();
    await casePage.locator('h1', { hasText: `Case ${CASE}` }).waitFor();
    const created = await service.call<CaseBody>('GET', `/cases/${CASE}`);
    expect(created.status).toBe(200);
  });

  it('draws the live case: the token in submitted, offered to both reviewers', async () => {
    await diagram(casePage, '[data-transition="approve"][data-task-state="allocated"]').waitFor();
    await diagram(casePage, '[data-transition="reject"][data-task-state="allocated"]').waitFor();
    expect(await placeTokens(casePage, 'submitted')).toEqual({ free: 1, locked: 0, done: 0 });
    await casePage.locator('.stream-live').waitFor();
    await casePage.locator('table.workitems tr[data-workitem]').nth(2).waitFor();
    expect(await casePage.locator('table.workitems').textContent()).toContain('approve');
  });

  it("lists both reviewers' workitems in the worklist", async () => {
    worklist = await context.newPage();
    worklist.on('pageerror', (error) => pageErrors.push(error.message));
    await worklist.goto(`${service.url}/#/worklist`);
    for (const transition of ['approve', 'reject'])
      await worklist
        .locator(`article.workitem[data-transition="${transition}"]`, { hasText: CASE })
        .waitFor();
    expect(await worklist.locator('article.workitem').count()).toBe(2);
    // Each shows what it works on, readably: the token in submitted, carrying submit's (empty) output.
    const inputs = worklist.locator('article.workitem .input', {
      hasText: `From submit ${CASE}:workitem-1:`,
    });
    await inputs.nth(1).waitFor();
    expect(await inputs.first().textContent()).toContain('in submitted');
    expect(await inputs.first().locator(`[data-from="${CASE}:workitem-1"] .none`).textContent()).toBe('none');
    expect(await inputs.first().textContent()).not.toContain('":null');
    await expectNotBlank(worklist, 'worklist');
  });

  it('completes approve from the worklist with a validated JSON output', async () => {
    const approve = worklist.locator('article.workitem[data-transition="approve"]');
    await approve.getByRole('button', { name: 'Complete…' }).click();
    const output = approve.getByLabel('Output of approve (JSON)');
    await output.fill('{"by": ann}');
    expect(await output.getAttribute('aria-invalid')).toBe('true');
    expect(await approve.getByRole('button', { name: 'Complete', exact: true }).isDisabled()).toBe(true);
    await output.fill('{"by": "ann", "approved": true}');
    await expectNotBlank(worklist, 'worklist-complete');
    await approve.getByRole('button', { name: 'Complete', exact: true }).click();

    await worklist.getByText(`Completed approve of case ${CASE}.`).waitFor();
    await worklist.getByText('Nothing to do: no manual workitem is waiting.').waitFor();
    const items = await service.call<{ items: WorkitemBody[] }>('GET', `/cases/${CASE}/workitems`);
    const approveItem = items.body.items.find((w) => w.transitionId === 'approve');
    expect(approveItem?.state).toBe('completed');
  });

  it('sees the token reach end and the competitor abandoned on the live diagram', async () => {
    await casePage.bringToFront();
    await diagram(casePage, '[data-place="end"][data-done="1"]').waitFor();
    await diagram(casePage, '[data-transition="reject"][data-task-state="abandoned"]').waitFor();
    expect(await diagram(casePage, '[data-transition="approve"]').getAttribute('data-task-state')).toBe(
      'completed',
    );
    expect(await placeTokens(casePage, 'submitted')).toEqual({ free: 0, locked: 0, done: 0 });
    await casePage.locator('.case-head .badge-finished').waitFor();
    await casePage.locator('.timeline .type', { hasText: 'CaseFinished' }).waitFor();
    await casePage.locator('.stream-ended').waitFor();
    const finished = await until(
      () => service.call<CaseBody>('GET', `/cases/${CASE}`),
      (reply) => reply.body.state === 'finished',
    );
    expect(finished.body.state).toBe('finished');
    await expectNotBlank(casePage, 'case-finished', { fullPage: true });
  });

  it('steps the timeline back until the token is in submitted again', async () => {
    const last = await shownRevision(casePage);
    const back = casePage.getByRole('button', { name: 'Step back one event' });
    let revision = last;
    let tokens = await placeTokens(casePage, 'submitted');
    while (tokens.free + tokens.locked === 0 && revision > 0) {
      await back.click();
      revision -= 1;
      await casePage.locator(`.travel-status[data-shown-revision="${revision}"]`).waitFor();
      expect(await shownRevision(casePage)).toBe(revision);
      tokens = await placeTokens(casePage, 'submitted');
    }
    expect(revision).toBeLessThan(last);
    expect(tokens.free + tokens.locked).toBe(1);
    expect(await placeTokens(casePage, 'end')).toEqual({ free: 0, locked: 0, done: 0 });
    expect(await diagram(casePage, '[data-transition="reject"]').getAttribute('data-task-state')).not.toBe(
      'abandoned',
    );
    // The case as it was then, from GET /cases/:id?atRevision=N, next to its state now.
    await casePage.locator('.travel-status .badge-active').waitFor();
    expect(await casePage.locator('.travel-status').textContent()).toContain('(now finished)');
    expect(await casePage.locator('.timeline [aria-current="step"]').getAttribute('data-revision')).toBe(
      String(revision),
    );
    await expectNotBlank(casePage, 'case-time-travel');
  });

  it('travels by keyboard with the revision slider', async () => {
    const slider = casePage.getByLabel('Revision', { exact: true });
    await slider.focus();
    await slider.press('Home');
    await casePage.locator('.travel-status[data-shown-revision="0"]').waitFor();
    expect(await shownRevision(casePage)).toBe(0);
    expect(await placeTokens(casePage, 'start')).toEqual({ free: 0, locked: 0, done: 0 });

    await slider.press('ArrowRight');
    expect(await shownRevision(casePage)).toBe(1);
    expect(await placeTokens(casePage, 'start')).toEqual({ free: 1, locked: 0, done: 0 });

    await slider.press('End');
    await diagram(casePage, '[data-place="end"][data-done="1"]').waitFor();
    expect(await casePage.getByRole('button', { name: 'Latest' }).isDisabled()).toBe(true);
  });

  it('filters the cases list and terminates a case', async () => {
    const second = await service.call<CaseBody>('POST', '/cases', { workflowId: 'approval', id: 'review-2' });
    expect(second.status).toBe(201);
    await casePage.goto(`${service.url}/#/cases?state=finished`);
    await casePage.locator(`tr[data-case="${CASE}"]`).waitFor();
    expect(await casePage.locator('tr[data-case="review-2"]').count()).toBe(0);

    await casePage.getByLabel('State').selectOption('active');
    await casePage.locator('tr[data-case="review-2"]').waitFor();
    expect(await casePage.locator(`tr[data-case="${CASE}"]`).count()).toBe(0);
    await casePage.getByRole('button', { name: 'Clear filters' }).click();
    await casePage.locator(`tr[data-case="${CASE}"]`).waitFor();
    expect(await casePage.locator('tr[data-case]').count()).toBe(2);
    await expectNotBlank(casePage, 'cases');
    await casePage.getByLabel('State').selectOption('active');
    await casePage.locator(`tr[data-case="${CASE}"]`).waitFor({ state: 'detached' });

    await casePage.locator('tr[data-case="review-2"] a', { hasText: 'review-2' }).click();
    await casePage.getByRole('button', { name: 'Terminate case…' }).click();
    await casePage.getByRole('button', { name: 'Terminate', exact: true }).click();
    await casePage.locator('.case-head .badge-terminated').waitFor();
    await diagram(casePage, '[data-transition="approve"][data-task-state="abandoned"]').waitFor();
    expect((await service.call<CaseBody>('GET', '/cases/review-2')).body.state).toBe('terminated');
  });

  it('says so when a case does not exist, and when a page does not', async () => {
    await casePage.goto(`${service.url}/#/cases/nobody`);
    const alert = casePage.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('case nobody not found');
    await casePage.goto(`${service.url}/#/nowhere`);
    await casePage.locator('h1', { hasText: 'Not found' }).waitFor();
    expect(await casePage.getByRole('link', { name: 'Go to the workflows.' }).count()).toBe(1);
  });

  it('is readable at phone width', async () => {
    await casePage.setViewportSize({ width: 390, height: 844 });
    await casePage.goto(`${service.url}/#/cases/${CASE}`);
    await diagram(casePage, '[data-place="end"][data-done="1"]').waitFor();
    const width = await casePage.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(390);
    // The net is laid out top to bottom there, and fits the screen.
    const start = await diagram(casePage, '[data-place="start"]').boundingBox();
    const end = await diagram(casePage, '[data-place="end"]').boundingBox();
    expect(start!.y).toBeLessThan(end!.y);
    expect((await casePage.locator('.diagram-picture svg').boundingBox())!.width).toBeLessThanOrEqual(390);
    await casePage.evaluate("document.getElementById('diagram-title').scrollIntoView()");
    await expectNotBlank(casePage, 'case-phone');
    expect(pageErrors).toEqual([]);
  });
});
