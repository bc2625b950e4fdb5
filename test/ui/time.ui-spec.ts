import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CaseBody, Service, WorkitemBody } from './service.js';
import {
  ADMIN_KEY,
  accessibilityViolations,
  launchChromium,
  screenshot,
  startService,
  until,
} from './service.js';
import { example } from '../http/nets.js';

jest.setTimeout(45_000);

// Timers, retries and incidents in the browser, on a service whose clock stands still until the test
// moves it: every due time below is exact, and nothing fires unless the test advances the clock.

interface TimerBody {
  readonly id: string;
  readonly kind: string;
  readonly dueAt: string;
  readonly state: string;
}

interface FailedWorkitemBody extends WorkitemBody {
  readonly output: unknown;
  readonly attempts: number;
  readonly lastError: { type: string; message: string } | null;
  readonly retryAt: string | null;
}

let service: Service;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** A blank tab that measures screenshots. */
let checker: Page;
const pageErrors: string[] = [];

/**
 * The payment service: it answers 503 until `paymentsWork` is set, each refusal after a pause. The case page
 * has then reloaded for the retry timer that fired before the failure and its incident arrive, as it would
 * with a slow service.
 */
let payments: Server;
const REFUSAL_DELAY_MS = 500;
let paymentsWork = false;
let paymentCalls = 0;

const ESCALATION = 'esc-1';
const ORDER = 'order-1';

const diagram = (selector: string) => page.locator(`.diagram-picture svg ${selector}`);
const advance = async (duration: string) =>
  expect((await service.call('POST', '/admin/clock', { advance: duration })).status).toBe(200);
const timersOf = async (caseId: string) =>
  (await service.call<TimerBody[]>('GET', `/cases/${caseId}/timers`)).body;
const workitemOf = async (caseId: string, transitionId: string) =>
  until(
    async () =>
      (await service.call<{ items: FailedWorkitemBody[] }>('GET', `/cases/${caseId}/workitems`)).body.items,
    (items) => items.some((w) => w.transitionId === transitionId),
  ).then((items) => items.find((w) => w.transitionId === transitionId)!);

/** A picture for the README (`npm run screenshots`), measured to be neither blank nor all ink. */
async function expectPicture(name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await page.locator('.notice').waitFor({ state: 'detached' });
  const look = await screenshot(page, checker, name, options);
  expect(look.colours).toBeGreaterThan(16);
  expect(look.inked).toBeGreaterThan(0.01);
  expect(look.inked).toBeLessThan(0.9);
}

async function openCase(caseId: string): Promise<void> {
  await page.goto(`${service.url}/#/cases/${caseId}`);
  await page.locator('.stream-live').waitFor();
}

beforeAll(async () => {
  payments = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      paymentCalls += 1;
      if (paymentsWork) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: 'completed', output: { paid: true } }));
      } else {
        setTimeout(() => {
          response.writeHead(503, { 'content-type': 'text/plain' });
          response.end('payments are down');
        }, REFUSAL_DELAY_MS);
      }
    });
  });
  await new Promise<void>((resolve) => payments.listen(0, '127.0.0.1', resolve));
  service = await startService({
    WFNET_CLOCK: 'manual',
    // The payment service of the test listens on loopback, which a webhook may reach only when allowed.
    WFNET_WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32',
  });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  checker = await context.newPage();
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${service.url}/`);
  await page.evaluate(`localStorage.setItem('wfnet.apiKey', ${JSON.stringify(ADMIN_KEY)})`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await new Promise((resolve) => payments?.close(resolve));
});

describe('the timers of a case: a 48-hour escalation', () => {
  it('lists the pending escalation with its due time and how far off it is, and clocks its transition', async () => {
    expect((await service.call('POST', '/workflows', example('approval-escalation'))).status).toBe(201);
    expect(
      (await service.call('POST', '/cases', { workflowId: 'approval-escalation', id: ESCALATION })).status,
    ).toBe(201);
    const [escalation] = await until(
      () => timersOf(ESCALATION),
      (timers) => Array.isArray(timers) && timers.length === 1,
    );
    expect(escalation).toMatchObject({ kind: 'executor', state: 'pending' });

    await openCase(ESCALATION);
    const row = page.locator(`.timers [data-timer="${escalation!.id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('pending');
    expect(await row.textContent()).toContain('escalate');
    expect(await row.locator('time').getAttribute('datetime')).toBe(escalation!.dueAt);
    expect(await row.locator('.relative').textContent()).toBe('in 2 days');

    const clock = diagram('g.timer[data-timer-transition="escalate"]');
    await clock.waitFor();
    expect(await clock.getAttribute('data-timer-due')).toBe(escalation!.dueAt);
    expect(await clock.locator('title').textContent()).toContain(`timer due ${escalation!.dueAt}`);
    expect(await diagram('g.timer').count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);
    await expectPicture('case-timers', { fullPage: true });
  });

  it('greys the escalation out as fired once the clock passes it, live, and clocks the next step instead', async () => {
    const escalationId = `${ESCALATION}:timer-1`;
    await advance('PT47H59M');
    await page
      .locator(`.timers [data-timer="${escalationId}"] .relative`, { hasText: 'in 1 minute' })
      .waitFor();
    expect((await timersOf(ESCALATION))[0]?.state).toBe('pending');

    await advance('PT1M');
    const fired = page.locator(`.timers [data-timer="${escalationId}"][data-state="fired"]`);
    await fired.waitFor();
    expect(await fired.getAttribute('class')).toContain('timer-done');
    await diagram('g.timer[data-timer-transition="manager-review"]').waitFor();
    expect(await diagram('g.timer[data-timer-transition="escalate"]').count()).toBe(0);
    const review = page.locator('.timers tr[data-state="pending"]');
    await review.waitFor();
    expect(await review.textContent()).toContain('schedule-to-close timeout');
    expect(await review.locator('.relative').textContent()).toBe('in 3 days');
  });

  it('shows the timeout incident with its workitem and exactly the actions that apply, then completes it', async () => {
    await advance('P3D');
    const incident = page.locator(`[data-incident="${ESCALATION}:incident-1"]`);
    await incident.waitFor();
    expect(await incident.textContent()).toContain('timeout');
    const review = await workitemOf(ESCALATION, 'manager-review');
    expect(await incident.locator('.incident-workitem').textContent()).toContain(review.id);
    const actions = incident.getByRole('group', { name: `Resolve ${ESCALATION}:incident-1` });
    expect(await actions.getByRole('button').allTextContents()).toEqual(['Retry', 'Complete…', 'Abandon']);
    expect(await accessibilityViolations(page)).toEqual([]);

    await actions.getByRole('button', { name: 'Complete…' }).click();
    await incident.getByLabel('Output (JSON)').fill('{"approved": true}');
    await incident.getByRole('button', { name: 'Complete', exact: true }).click();
    await incident.getByText('Resolved: complete').waitFor();
    const finished = await until(
      async () => (await service.call<CaseBody>('GET', `/cases/${ESCALATION}`)).body,
      (body) => body.state === 'finished',
    );
    expect(finished.marking).toEqual({});
    await page.locator('.case-head .badge-finished').waitFor();
  });
});

describe('a payment webhook that fails, is retried with backoff, then raises an incident', () => {
  it("shows the workitem's failed attempt, its last error and when the next attempt runs", async () => {
    const net = example('order-payment');
    const { port } = payments.address() as AddressInfo;
    net.transitions = net.transitions.map((t) =>
      t.id === 'charge-payment'
        ? { ...t, executorParams: { url: `http://127.0.0.1:${port}/charge`, timeoutMs: 5000 } }
        : t,
    );
    expect((await service.call('POST', '/workflows', net)).status).toBe(201);
    expect((await service.call('POST', '/cases', { workflowId: 'order-payment', id: ORDER })).status).toBe(
      201,
    );
    const charge = await until(
      () => workitemOf(ORDER, 'charge-payment'),
      (w) => w.attempts === 1,
    );
    expect(charge.lastError?.type).toBe('http_5xx');

    await openCase(ORDER);
    const row = page.locator(`table.workitems tr[data-workitem="${charge.id}"]`);
    await row.locator('.attempts', { hasText: '1 failed attempt' }).waitFor();
    expect(await row.locator('.last-error').textContent()).toContain('http_5xx');
    expect(await row.locator('.last-error').textContent()).toContain(charge.lastError!.message);
    expect(await row.locator('.next-attempt time').getAttribute('datetime')).toBe(charge.retryAt);
    expect(await row.locator('.next-attempt .relative').textContent()).toBe('in 10 seconds');
    await diagram('g.timer[data-timer-transition="charge-payment"][data-timer-kind="retry"]').waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('raises an executor_failed incident when the attempts run out, with the workitem, attempts and last error', async () => {
    await advance('PT10S');
    await until(
      () => workitemOf(ORDER, 'charge-payment'),
      (w) => w.attempts === 2,
    );
    await advance('PT20S');
    const incident = page.locator(`[data-incident="${ORDER}:incident-1"]`);
    await incident.waitFor();
    expect(await incident.textContent()).toContain('executor_failed');
    const about = incident.locator('.incident-workitem');
    await about.getByText('3 failed attempts').waitFor();
    expect(await about.textContent()).toContain('http_5xx');
    expect(await about.textContent()).toContain('charge-payment');
    const actions = incident.getByRole('group', { name: `Resolve ${ORDER}:incident-1` });
    expect(await actions.getByRole('button').allTextContents()).toEqual(['Retry', 'Complete…', 'Abandon']);
    const row = page.locator('table.workitems tr', { hasText: 'charge-payment' });
    await row.locator('.attempts', { hasText: '3 failed attempts' }).waitFor();
    expect(await row.locator('.next-attempt').count()).toBe(0);
    expect(paymentCalls).toBe(3);
  });

  it('lists the incident on the incidents page of every case, where an admin retries it and the order moves on', async () => {
    await page.goto(`${service.url}/#/incidents`);
    const incident = page.locator(`[data-incident="${ORDER}:incident-1"]`);
    await incident.locator('.incident-workitem', { hasText: '3 failed attempts' }).waitFor();
    expect(await incident.getByRole('link', { name: ORDER }).getAttribute('href')).toBe(`#/cases/${ORDER}`);
    // The timeout incident of the escalation was resolved: open incidents only, by default.
    const listed = await page.locator('[data-incident]').all();
    expect(await Promise.all(listed.map((item) => item.getAttribute('data-incident')))).toEqual([
      `${ORDER}:incident-1`,
    ]);
    expect(await accessibilityViolations(page)).toEqual([]);
    await expectPicture('incidents');

    paymentsWork = true;
    await incident.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('No open incident: nothing waits for a person.').waitFor();
    const charge = await until(
      () => workitemOf(ORDER, 'charge-payment'),
      (w) => w.state === 'completed',
    );
    expect(charge.output).toEqual({ paid: true });
    expect(paymentCalls).toBe(4);

    await page.getByLabel('State').selectOption('resolved');
    await page.locator(`[data-incident="${ORDER}:incident-1"]`, { hasText: 'Resolved: retry' }).waitFor();
    await openCase(ORDER);
    await diagram('[data-transition="ship"][data-task-state="allocated"]').waitFor();
  });
});

describe('the worklist', () => {
  it('tells a manual workitem whose start-to-close timeout ran out: its attempts, the error, the next attempt', async () => {
    const net = {
      id: 'timed-review',
      places: [
        { id: 'start', type: 'start' },
        { id: 'end', type: 'end' },
      ],
      transitions: [{ id: 'review', executor: 'manual', timeouts: { startToClose: 'PT1H' } }],
      arcs: [
        { from: 'start', to: 'review' },
        { from: 'review', to: 'end' },
      ],
    };
    expect((await service.call('POST', '/workflows', net)).status).toBe(201);
    expect(
      (await service.call('POST', '/cases', { workflowId: 'timed-review', id: 'review-1' })).status,
    ).toBe(201);
    await until(
      () => timersOf('review-1'),
      (timers) => Array.isArray(timers) && timers.some((t) => t.kind === 'startToClose'),
    );
    await advance('PT1H');
    const review = await until(
      () => workitemOf('review-1', 'review'),
      (w) => w.attempts === 1,
    );

    await page.goto(`${service.url}/#/worklist`);
    const card = page.locator(`article.workitem[data-workitem="${review.id}"]`);
    await card.locator('.attempts', { hasText: '1 failed attempt' }).waitFor();
    expect(await card.locator('.last-error').textContent()).toContain('timeout');
    expect(await card.locator('.next-attempt time').getAttribute('datetime')).toBe(review.retryAt);
    expect(await card.locator('.next-attempt .relative').textContent()).toBe('in 1 second');
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
