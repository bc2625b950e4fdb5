import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { Service, WorkitemBody } from './service.js';
import { ADMIN_KEY, accessibilityViolations, launchChromium, startService, until } from './service.js';
import { singleManual } from '../http/nets.js';

jest.setTimeout(60_000);

let service: Service;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** The worklist's reads of `GET /workitems`, counted to know that a refresh has run. */
let listReads = 0;

/** More than one page of the worklist (a page is 100 cards). */
const CASES = 104;
const caseId = (n: number) => `review-${String(n).padStart(3, '0')}`;

/** The focused element's tag and the workitem of the card it is in. */
const FOCUSED =
  "`${document.activeElement?.tagName} in ${document.activeElement?.closest('article')?.dataset.workitem}`";

const cards = () => page.locator('article.workitem');

async function refreshes(count: number): Promise<void> {
  const target = listReads + count;
  await until(
    () => Promise.resolve(listReads),
    (reads) => reads >= target,
  );
}

beforeAll(async () => {
  [service, browser] = await Promise.all([startService(), launchChromium()]);
  expect((await service.call('POST', '/workflows', singleManual('review'))).status).toBe(201);
  for (let n = 1; n <= CASES; n += 1)
    expect((await service.call('POST', '/cases', { workflowId: 'review', id: caseId(n) })).status).toBe(201);
  await until(
    async () =>
      (await service.call<{ items: WorkitemBody[] }>('GET', '/workitems?state=started&limit=500')).body,
    (list) => list.items.length === CASES,
  );
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/workitems') listReads += 1;
  });
  await page.goto(`${service.url}/`);
  await page.evaluate(`localStorage.setItem('wfnet.apiKey', ${JSON.stringify(ADMIN_KEY)})`);
  // A short refresh interval, so the test sees refreshes without waiting seconds for each.
  await page.evaluate(`localStorage.setItem('wfnet.worklistRefreshMs', '250')`);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('the worklist across refreshes', () => {
  it('keeps every loaded page and an open form with its typed text', async () => {
    await page.goto(`${service.url}/#/worklist`);
    await cards().nth(99).waitFor();
    expect(await cards().count()).toBe(100);
    await page.getByRole('button', { name: 'Load more' }).click();
    await cards()
      .nth(CASES - 1)
      .waitFor();

    const last = page.locator(`article.workitem[data-workitem="${caseId(CASES)}:workitem-1"]`);
    await last.getByRole('button', { name: 'Complete…' }).click();
    const output = last.getByLabel('Output of review (JSON)');
    await output.fill('{"note": "checked the second page"}');
    await refreshes(3);

    expect(await cards().count()).toBe(CASES);
    expect(await output.inputValue()).toBe('{"note": "checked the second page"}');
    expect(await page.evaluate<string>(FOCUSED)).toBe(`TEXTAREA in ${caseId(CASES)}:workitem-1`);
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('moves focus to the next card after a completion, not to the page', async () => {
    const first = page.locator(`article.workitem[data-workitem="${caseId(1)}:workitem-1"]`);
    await first.getByRole('button', { name: 'Complete…' }).click();
    await first.getByRole('button', { name: 'Complete', exact: true }).click();
    await first.waitFor({ state: 'detached' });
    expect(await page.evaluate<string>(FOCUSED)).toBe(`H2 in ${caseId(2)}:workitem-1`);
    expect(await cards().count()).toBe(CASES - 1);
    expect(pageErrors).toEqual([]);
  });
});
