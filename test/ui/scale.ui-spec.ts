import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { CaseBody, Service, WorkitemBody } from './service.js';
import { ADMIN_KEY, launchChromium, startService } from './service.js';
import { singleManual } from '../http/nets.js';
import type { NetBody } from '../http/nets.js';

// Issue 17's scale: 2,000 cases and a case of 10,000 events, made through the API, then used in the browser.
jest.setTimeout(120_000);

const CASES = 2_000;
const EVENTS = 10_000;
const STEPS = 20;
/** Requests in flight at once while the cases are started. */
const CONCURRENCY = 32;
const LONG = 'long-case';

let service: Service;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** Figures measured, printed at the end for the record. */
const figures: Record<string, number | string> = {};

/** `p → again → p` until someone completes `stop`: a manual loop, 12 events a round. */
function loopNet(): NetBody {
  return {
    id: 'loop',
    places: [{ id: 'start', type: 'start' }, { id: 'p' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'init', executor: 'auto' },
      { id: 'again', executor: 'manual' },
      { id: 'stop', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'init' },
      { from: 'init', to: 'p' },
      { from: 'p', to: 'again' },
      { from: 'again', to: 'p' },
      { from: 'p', to: 'stop' },
      { from: 'stop', to: 'end' },
    ],
  };
}

interface Listed {
  readonly items: readonly WorkitemBody[];
}

/** The open `again` workitem of the long case once the read models hold `position`. */
async function openAgain(position: string): Promise<WorkitemBody> {
  const { status, body } = await service.call<Listed>(
    'GET',
    `/cases/${LONG}/workitems?transitionId=again&state=started&waitFor=${position}`,
  );
  expect(status).toBe(200);
  const [open] = body.items;
  if (!open) throw new Error(`no open again workitem at position ${position}`);
  return open;
}

/** The long case's history from `revision` on (at most 1,000 events). */
async function historyFrom(revision: number): Promise<{ revision: string }[]> {
  const { status, body } = await service.call<{ revision: string }[]>(
    'GET',
    `/cases/${LONG}/events?fromRevision=${revision}`,
  );
  expect(status).toBe(200);
  return body;
}

/** Installed in the page before stepping: the time from a key press to the diagram of a revision painted. */
const MEASURE = `(() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
  }).observe({ type: 'longtask' });
  document.addEventListener('keydown', (event) => { window.__pressedAt = event.timeStamp; }, true);
  window.__painted = (revision) => new Promise((resolve) => {
    const shown = () => document.querySelector('.diagram-picture svg')?.getAttribute('data-revision') === String(revision);
    // After the frame that shows it: the callback of the next frame, then a task once it is painted.
    const done = () => requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - window.__pressedAt)));
    if (shown()) return done();
    const observer = new MutationObserver(() => { if (shown()) { observer.disconnect(); done(); } });
    observer.observe(document.querySelector('.diagram'), { subtree: true, childList: true, attributes: true });
  });
})()`;

/** Presses `key` in the page and answers how long until the diagram of `revision` was painted (ms). */
async function step(key: string, revision: number): Promise<number> {
  await page.evaluate('window.__pressedAt = undefined');
  const painted = page.evaluate<number>(`window.__painted(${revision})`);
  await page.keyboard.press(key);
  return painted;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

beforeAll(async () => {
  [service, browser] = await Promise.all([startService(), launchChromium()]);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  context.setDefaultTimeout(20_000);
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  console.log(`scale figures: ${JSON.stringify(figures)}`);
});

describe('the UI at scale', () => {
  it(`starts ${CASES} cases through the API, concurrently`, async () => {
    expect((await service.call('POST', '/workflows', singleManual())).status).toBe(201);
    const began = Date.now();
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CASES) {
          next += 1;
          statuses.push((await service.call('POST', '/cases', { workflowId: 'single-manual' })).status);
        }
      }),
    );
    figures['cases started (ms)'] = Date.now() - began;
    expect(statuses.filter((s) => s === 201)).toHaveLength(CASES);
  });

  it(`grows one case to ${EVENTS} events by completing its manual step in a tight loop`, async () => {
    expect((await service.call('POST', '/workflows', loopNet())).status).toBe(201);
    const began = Date.now();
    const created = await service.call<CaseBody>('POST', '/cases', { workflowId: 'loop', id: LONG });
    expect(created.status).toBe(201);
    let position = created.body.position;
    const complete = async (round: number): Promise<void> => {
      const again = await openAgain(position);
      const done = await service.call<{ position: string }>('POST', `/workitems/${again.id}/complete`, {
        output: { round },
      });
      expect(done.status).toBe(200);
      position = done.body.position;
    };
    // Every round appends as many events as the first: count them once, then run the rounds it takes.
    const before = (await historyFrom(0)).length;
    await complete(0);
    const perRound = (await historyFrom(0)).length - before;
    expect(perRound).toBeGreaterThan(5);
    const rounds = Math.ceil((EVENTS - before) / perRound);
    for (let round = 1; round < rounds; round++) await complete(round);
    const tail = await historyFrom(EVENTS - 1);
    expect(tail.length).toBeGreaterThan(0);
    const last = Number(tail[tail.length - 1]?.revision);
    figures['long case events'] = last + 1;
    figures['long case grown (ms)'] = Date.now() - began;
  });

  it('opens the newest case, the long one, with one click on the cases page', async () => {
    await page.goto(`${service.url}/`);
    await page.evaluate(`localStorage.setItem('wfnet.apiKey', ${JSON.stringify(ADMIN_KEY)})`);
    await page.goto(`${service.url}/#/cases`);
    const newest = page.locator('tr[data-case]').first();
    await newest.waitFor();
    expect(await newest.getAttribute('data-case')).toBe(LONG);
    expect(await page.locator('p.count').textContent()).toBe(`${CASES + 1} cases in all; 50 shown.`);
    const began = Date.now();
    await newest.getByRole('link', { name: LONG }).click();
    await page.locator('h1', { hasText: LONG }).waitFor();
    await page
      .locator(`.timeline [aria-current="step"][data-revision="${Number(figures['long case events']) - 1}"]`)
      .waitFor();
    figures['long case page with its whole history (ms)'] = Date.now() - began;
  });

  it('renders only the timeline rows in view, each revision in its own column', async () => {
    const rows = await page.locator('.timeline li').count();
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(60);
    const current = page.locator('.timeline [aria-current="step"]');
    const rev = await current.locator('.rev').boundingBox();
    const type = await current.locator('.type').boundingBox();
    expect(rev!.x + rev!.width).toBeLessThanOrEqual(type!.x);
  });

  it(`steps back through time ${STEPS} times, each step painted within 100 ms, no long task over 50 ms`, async () => {
    await page.evaluate(MEASURE);
    await page.locator('.timeline [aria-current="step"]').focus();
    const last = Number(figures['long case events']) - 1;
    // A first step warms the service's cache of the net's layout.
    await step('ArrowUp', last - 1);
    await page.evaluate('window.__longTasks = []');
    const times: number[] = [];
    for (let n = 2; n <= STEPS + 1; n++) times.push(await step('ArrowUp', last - n));
    const longTasks = await page.evaluate<number[]>('window.__longTasks');
    figures['time-travel step, median (ms)'] = Math.round(median(times));
    figures['time-travel step, slowest (ms)'] = Math.round(Math.max(...times));
    figures['long tasks while stepping (ms)'] = JSON.stringify(longTasks.map(Math.round));
    expect(median(times)).toBeLessThanOrEqual(100);
    expect(longTasks.filter((duration) => duration > 50)).toEqual([]);

    const home = await step('Home', 0);
    figures['Home, to the first event (ms)'] = Math.round(home);
    expect(home).toBeLessThanOrEqual(100);
    expect(await page.locator('.timeline [aria-current="step"]').getAttribute('data-revision')).toBe('0');
    expect(pageErrors).toEqual([]);
  });
});
