import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CaseBody, ErrorBody, Service, WorkitemBody } from './service.js';
import { ADMIN_KEY, accessibilityViolations, launchChromium, startService, until } from './service.js';
import { singleManual } from '../http/nets.js';

// The case pages and the cases list, one finding of issue 17 per describe block.
jest.setTimeout(45_000);

let service: Service;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

/** A workflow whose id and name are long enough to widen a phone page that does not wrap them. */
const LONG = 'purchase-requests-of-the-finance-department-above-the-signing-limit-of-a-team-lead';
const REVIEW = 'review';

interface Listed {
  readonly items: readonly WorkitemBody[];
}

/** The open workitem of a case's `review` step, once the read models have it. */
async function openReview(caseId: string): Promise<WorkitemBody> {
  const listed = await until(
    async () => (await service.call<Listed>('GET', `/cases/${caseId}/workitems`)).body,
    (body) => body.items?.some((w) => w.transitionId === REVIEW && w.state === 'started') === true,
  );
  return listed.items.find((w) => w.transitionId === REVIEW && w.state === 'started') as WorkitemBody;
}

async function startCase(workflowId: string, id?: string, data: unknown = {}): Promise<CaseBody> {
  const reply = await service.call<CaseBody>('POST', '/cases', { workflowId, data, ...(id && { id }) });
  expect(reply.status).toBe(201);
  return reply.body;
}

/** The notice the page shows last (notices are replaced, not stacked). */
const notice = (p: Page) => p.locator('.notice span');

beforeAll(async () => {
  [service, browser] = await Promise.all([startService(), launchChromium()]);
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  expect((await service.call('POST', '/workflows', singleManual())).status).toBe(201);
  expect(
    (await service.call('POST', '/workflows', { ...singleManual(LONG), name: `${LONG} (long name)` })).status,
  ).toBe(201);
  await page.goto(`${service.url}/`);
  await page.evaluate(`localStorage.setItem('wfnet.apiKey', ${JSON.stringify(ADMIN_KEY)})`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('the cases list (finding 8)', () => {
  const ids = ['listed-1', 'listed-2', 'listed-3'];

  it('lists the newest case first, with the total counted by the service, and the oldest first on request', async () => {
    for (const id of ids) await startCase(LONG, id);
    await page.goto(`${service.url}/#/cases?workflowId=${LONG}`);
    await page.locator('tr[data-case]').first().waitFor();
    expect(
      await page.evaluate<string[]>(
        "[...document.querySelectorAll('tr[data-case]')].map((row) => row.dataset.case)",
      ),
    ).toEqual([...ids].reverse());
    expect(await page.locator('p.count').textContent()).toBe('3 cases match these filters.');

    await page.getByLabel('Order').selectOption('asc');
    await page.waitForURL(/order=asc/);
    await page.locator('tr[data-case]').first().waitFor();
    await until(
      () => page.locator('tr[data-case]').first().getAttribute('data-case'),
      (first) => first === 'listed-1',
    );
    // The filters live in the address: a reload shows the same list.
    await page.reload();
    await page.locator('tr[data-case="listed-1"]').waitFor();
    expect(await page.getByLabel('Order').inputValue()).toBe('asc');
    expect(await page.getByLabel('Workflow').inputValue()).toBe(LONG);
    expect(await page.locator('tr[data-case]').first().getAttribute('data-case')).toBe('listed-1');
  });

  it('opens a case by its id, and says so when no case has it', async () => {
    await page.goto(`${service.url}/#/cases`);
    await page.getByLabel('Case id').fill('listed-2');
    await page.getByRole('button', { name: 'Open case' }).click();
    await page.waitForURL(/#\/cases\/listed-2$/);
    await page.locator('h1', { hasText: 'listed-2' }).waitFor();

    await page.goto(`${service.url}/#/cases`);
    await page.getByLabel('Case id').fill('nobody-has-this');
    await page.getByRole('button', { name: 'Open case' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('No case has the id nobody-has-this.');
  });

  it('keeps the phone page within the screen with a long workflow name', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${service.url}/#/cases?workflowId=${LONG}`);
    await phone.locator('tr[data-case="listed-3"]').waitFor();
    expect(await phone.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await accessibilityViolations(phone)).toEqual([]);
    await phone.close();
  });
});

describe('the data of a case (finding 2)', () => {
  const CASE = 'bob-buys';

  it('shows the data the case started with, the payload of each token in a place and each output', async () => {
    await startCase('single-manual', CASE, { amount: 120, requester: 'bob' });
    const review = await openReview(CASE);
    await page.goto(`${service.url}/#/cases/${CASE}`);
    const data = page.locator('.data-panel');
    await data.getByLabel('Case data').waitFor();
    expect(JSON.parse((await data.getByLabel('Case data').textContent()) ?? '')).toEqual({
      amount: 120,
      requester: 'bob',
    });
    const token = data.locator('[data-token]');
    await token.waitFor();
    expect(await token.textContent()).toContain('start');
    expect(await token.textContent()).toContain('"requester": "bob"');

    const done = await service.call('POST', `/workitems/${review.id}/complete`, {
      output: { approved: true },
    });
    expect(done.status).toBe(200);
    const output = data.locator(`[data-output="${review.id}"]`);
    await output.waitFor();
    expect(JSON.parse((await output.locator('pre').textContent()) ?? '')).toEqual({ approved: true });
    // The token that reached the end carries the case's result.
    const result = data.locator('[data-token]', { hasText: 'reached the end' });
    await result.waitFor();
    expect(await result.locator('strong').textContent()).toBe('end');
  });

  it('opens every timeline event to its JSON', async () => {
    const created = page.locator('.timeline [data-revision="0"]');
    await created.click();
    const opened = page.locator('.event-data[data-revision="0"]');
    await opened.waitFor();
    expect(await opened.locator('h3').textContent()).toBe('Event 0: CaseCreated');
    expect(JSON.parse((await opened.locator('pre').textContent()) ?? '')).toMatchObject({
      caseId: CASE,
      workflowId: 'single-manual',
    });
    expect(await accessibilityViolations(page)).toEqual([]);
  });
});

describe('a case with UUID ids (finding 5)', () => {
  it('keeps the workitems’ Output column on screen, each id whole on hover', async () => {
    const started = await startCase('single-manual');
    expect(started.id).toMatch(/^[0-9a-f-]{36}$/);
    const review = await openReview(started.id);
    await page.goto(`${service.url}/#/cases/${started.id}`);
    const row = page.locator(`tr[data-workitem="${review.id}"]`);
    await row.waitFor();
    const [scrollWidth, clientWidth] = await page.evaluate<[number, number]>(
      "(() => { const wrap = document.querySelector('table.workitems').parentElement; return [wrap.scrollWidth, wrap.clientWidth]; })()",
    );
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    const output = await row.locator('td[data-label="Output"]').boundingBox();
    expect(output!.x + output!.width).toBeLessThanOrEqual(1280);
    expect(await row.locator('code.id').getAttribute('title')).toBe(review.id);
    // Copying the id copies all of it: the ellipsis is drawn, not in the text.
    expect(await row.locator('code.id').textContent()).toBe(review.id);
  });
});

describe('the timeline of a case (finding 6, and the contrast of finding 11)', () => {
  const CASE = 'stepped';

  it('is one Tab stop with the arrow keys inside, Home and End at the ends', async () => {
    await startCase('single-manual', CASE, { n: 1 });
    await openReview(CASE);
    await page.goto(`${service.url}/#/cases/${CASE}`);
    const current = page.locator('.timeline [aria-current="step"]');
    await current.waitFor();
    const last = Number(await current.getAttribute('data-revision'));
    expect(last).toBeGreaterThan(2);
    expect(await page.locator('.timeline [tabindex="0"]').count()).toBe(1);
    expect(await page.locator('.timeline [tabindex="-1"]').count()).toBe(last);

    // The diagram (its zoom controls, then the picture) comes between the time-travel controls and the timeline.
    await page.locator('.case-view .diagram-picture').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement.dataset.revision')).toBe(
      String(last),
    );
    await page.keyboard.press('ArrowUp');
    await page.locator(`.travel-status[data-shown-revision="${last - 1}"]`).waitFor();
    // Focus follows the row shown in the effect after the render that shows it.
    const focused = await until(
      () => page.evaluate<string | undefined>('document.activeElement.dataset.revision'),
      (revision) => revision === String(last - 1),
      2_000,
    ).catch(() => undefined);
    expect(focused).toBe(String(last - 1));
    await page.keyboard.press('Home');
    await page.locator('.travel-status[data-shown-revision="0"]').waitFor();
    await page.locator('.diagram-picture svg[data-revision="0"]').waitFor();
    expect(await page.locator('.timeline [tabindex="0"]').getAttribute('data-revision')).toBe('0');
    // One Tab leaves the timeline, whatever its length.
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate<string | null>("document.activeElement.closest('.timeline') && 'inside'"),
    ).toBeNull();
  });

  it('greys the events after the one shown with text that meets WCAG AA contrast', async () => {
    expect(await page.locator('.timeline .future').count()).toBeGreaterThan(0);
    const violations = await page.evaluate<string[]>(`
      axe.run('.timeline', { runOnly: { type: 'rule', values: ['color-contrast'] } }).then((result) =>
        result.violations.flatMap((v) => v.nodes.map((n) => n.failureSummary)),
      )`);
    expect(violations).toEqual([]);
  });

  it('shows the diagram and the timeline together at 1280×800', async () => {
    await page.evaluate("document.querySelector('.case-view').scrollIntoView({ block: 'start' })");
    const picture = await page.locator('.diagram-picture svg').boundingBox();
    const timeline = await page.locator('.timeline').boundingBox();
    for (const box of [picture!, timeline!]) {
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height).toBeLessThanOrEqual(800);
      expect(box.height).toBeGreaterThan(100);
    }
  });
});

describe('abandoning a workitem (finding 7)', () => {
  const CASE = 'abandoned-once';

  it('asks first, saying that the step will be offered again, then names the new workitem', async () => {
    await startCase('single-manual', CASE);
    const review = await openReview(CASE);
    await page.goto(`${service.url}/#/cases/${CASE}`);
    const row = page.locator(`tr[data-workitem="${review.id}"]`);
    await row.getByRole('button', { name: 'Abandon…' }).click();
    const confirm = row.getByRole('group', { name: `Confirm abandoning ${review.id}` });
    expect(await confirm.textContent()).toContain('will be offered again as a new workitem');
    expect((await service.call<WorkitemBody>('GET', `/workitems/${review.id}`)).body.state).toBe('started');

    await confirm.getByRole('button', { name: 'Abandon', exact: true }).click();
    const again = await until(
      async () => (await service.call<Listed>('GET', `/cases/${CASE}/workitems`)).body.items,
      (items) => items.some((w) => w.id !== review.id && w.state === 'started'),
    );
    const next = again.find((w) => w.id !== review.id) as WorkitemBody;
    await notice(page).filter({ hasText: next.id }).waitFor();
    expect(await notice(page).textContent()).toBe(
      `Abandoned ${review.id}. The step review is offered again as workitem ${next.id}.`,
    );
    await page.locator(`tr[data-workitem="${next.id}"]`).waitFor();
  });
});

describe('error texts (finding 9)', () => {
  it('says in one sentence that a case does not exist, with no doubled words or codes', async () => {
    await page.goto(`${service.url}/#/cases/nope`);
    // The diagram's request may fail first, with an alert of its own.
    const alert = page.getByRole('alert').filter({ hasText: 'Could not open this case' });
    await alert.waitFor();
    expect((await alert.locator('p').textContent())?.trim()).toBe(
      'Could not open this case: case nope not found.',
    );
    for (const text of await page.getByRole('alert').allTextContents())
      expect(text).not.toMatch(/not_found|found\s+not/);
  });

  it('says what could not be loaded, and what to do, when the key is wrong', async () => {
    // A context of its own: the wrong key stays out of the other pages' storage.
    const elsewhere = await browser.newContext();
    const stranger = await elsewhere.newPage();
    await stranger.goto(`${service.url}/`);
    await stranger.evaluate("localStorage.setItem('wfnet.apiKey', 'not-a-key')");
    await stranger.goto(`${service.url}/#/cases`);
    const alert = stranger.getByRole('alert').first();
    await alert.waitFor();
    expect(await alert.locator('p').textContent()).toBe(
      'Could not load the cases: a valid API key is required: Authorization: Bearer <key>. This API key was refused: enter another one above.',
    );
    await elsewhere.close();
  });

  it('tells that someone else completed the workitem first, shows it completed and offers no button for it', async () => {
    const CASE = 'raced';
    await startCase('single-manual', CASE);
    const review = await openReview(CASE);
    const racer = await context.newPage();
    // Without its live stream the page learns of the other completion only from its own refused command.
    await racer.route('**/events/stream', (route) => route.abort());
    await racer.goto(`${service.url}/#/cases/${CASE}`);
    const row = racer.locator(`tr[data-workitem="${review.id}"]`);
    await row.getByRole('button', { name: 'Complete…' }).click();
    const other = await service.call('POST', `/workitems/${review.id}/complete`, { output: 'mine' });
    expect(other.status).toBe(200);

    await row.getByRole('button', { name: 'Complete', exact: true }).click();
    await notice(racer).filter({ hasText: 'Someone else' }).waitFor();
    expect(await notice(racer).textContent()).toBe(
      `Could not complete the workitem: workitem ${review.id} has ended. Someone else acted on it meanwhile; the page now shows it as it is.`,
    );
    await row.locator('.badge-completed').waitFor();
    expect(await row.getByRole('button', { name: /Complete/ }).count()).toBe(0);
    const refused = await service.call<ErrorBody>('POST', `/workitems/${review.id}/complete`, { output: 1 });
    expect(refused.body.code).toBe('workitem_not_available');
    await racer.close();
    expect(pageErrors).toEqual([]);
  });
});
