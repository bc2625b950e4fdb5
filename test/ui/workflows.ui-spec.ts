import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { NetBody } from '../http/nets.js';
import type { CaseBody, Service, WorkitemBody } from './service.js';
import {
  ADMIN_KEY,
  READER_KEY,
  approvalNet,
  launchChromium,
  screenshot,
  startService,
  until,
} from './service.js';

jest.setTimeout(60_000);

let service: Service;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
let checker: Page;
const pageErrors: string[] = [];

const EXAMPLES = 'examples';

const auto = (id: string, more: Record<string, unknown> = {}) => ({ id, executor: 'auto', ...more });

/** A decision that can take either branch, and an and-join that waits for both: a deadlock either way. */
function deadlockNet(): NetBody {
  return {
    id: 'stuck',
    name: 'Waits for a branch never taken',
    places: [{ id: 'start', type: 'start' }, { id: 'left' }, { id: 'right' }, { id: 'end', type: 'end' }],
    transitions: [auto('decide', { splitType: 'xor' }), auto('merge', { joinType: 'and' })],
    arcs: [
      { from: 'start', to: 'decide' },
      { from: 'decide', to: 'left', condition: 'case.amount > 100' },
      { from: 'decide', to: 'right', default: true },
      { from: 'left', to: 'merge' },
      { from: 'right', to: 'merge' },
      { from: 'merge', to: 'end' },
    ],
  };
}

/** Both branches of an and-split run into end: the first to arrive finishes with a token left over. */
function improperNet(): NetBody {
  return {
    id: 'twice',
    places: [{ id: 'start', type: 'start' }, { id: 'a' }, { id: 'b' }, { id: 'end', type: 'end' }],
    transitions: [auto('fork', { splitType: 'and' }), auto('left'), auto('right')],
    arcs: [
      { from: 'start', to: 'fork' },
      { from: 'fork', to: 'a' },
      { from: 'fork', to: 'b' },
      { from: 'a', to: 'left' },
      { from: 'b', to: 'right' },
      { from: 'left', to: 'end' },
      { from: 'right', to: 'end' },
    ],
  };
}

/** `pump` puts its token back in `loop` and one more in `heap` each time it fires. */
function unboundedNet(): NetBody {
  return {
    id: 'heap',
    places: [{ id: 'start', type: 'start' }, { id: 'loop' }, { id: 'heap' }, { id: 'end', type: 'end' }],
    transitions: [auto('begin'), auto('pump', { splitType: 'and' }), auto('finish', { joinType: 'and' })],
    arcs: [
      { from: 'start', to: 'begin' },
      { from: 'begin', to: 'loop' },
      { from: 'loop', to: 'pump' },
      { from: 'pump', to: 'loop' },
      { from: 'pump', to: 'heap' },
      { from: 'loop', to: 'finish' },
      { from: 'heap', to: 'finish' },
      { from: 'finish', to: 'end' },
    ],
  };
}

/** A chain of `transitions` auto steps: 2 × transitions + 1 nodes, far wider than any screen. */
function longNet(transitions: number): NetBody {
  const places = Array.from({ length: transitions + 1 }, (_, i) => ({
    id: i === 0 ? 'start' : i === transitions ? 'end' : `p${i}`,
    ...(i === 0 ? { type: 'start' } : i === transitions ? { type: 'end' } : {}),
  }));
  return {
    id: 'long',
    name: 'A long chain',
    places,
    transitions: Array.from({ length: transitions }, (_, i) => auto(`step${i + 1}`)),
    arcs: Array.from({ length: transitions }, (_, i) => [
      { from: places[i]!.id, to: `step${i + 1}` },
      { from: `step${i + 1}`, to: places[i + 1]!.id },
    ]).flat(),
  };
}

/** The long net and a case of the approval net waiting on its reviewers, defined once for the tests that use them. */
let defined: Promise<void> | undefined;
function defineZoomFixtures(): Promise<void> {
  defined ??= (async () => {
    expect((await service.call('POST', '/workflows', longNet(40))).status).toBe(201);
    expect((await service.call('POST', '/workflows', { ...approvalNet(), id: 'reviews' })).status).toBe(201);
    expect((await service.call('POST', '/cases', { workflowId: 'reviews', id: 'zoomed' })).status).toBe(201);
    await until(
      async () =>
        (await service.call<{ items: WorkitemBody[] }>('GET', '/cases/zoomed/workitems')).body.items,
      (items) => items.length >= 2,
    );
  })();
  return defined;
}

async function signedIn(context: BrowserContext): Promise<Page> {
  const opened = await context.newPage();
  opened.on('pageerror', (error) => pageErrors.push(error.message));
  await opened.goto(`${service.url}/`);
  await opened.evaluate(`localStorage.setItem('wfnet.apiKey', ${JSON.stringify(ADMIN_KEY)})`);
  await opened.reload();
  return opened;
}

/** Pastes a definition into the define page and verifies it; answers the verdict's `data-sound`. */
async function verifyPasted(text: string): Promise<string | null> {
  await page.goto(`${service.url}/#/define`);
  await page.getByLabel('Definition: JSON or PNML').fill(text);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.locator('.verdict').waitFor();
  await page.locator('.define .diagram-picture svg').waitFor();
  return page.locator('.verdict').getAttribute('data-sound');
}

/** The step of the player, by the tokens drawn on the net and the transition shown as fired. */
async function shownStep(): Promise<{ tokens: Record<string, number>; fired: string[] }> {
  return page.evaluate(`(() => {
    const svg = document.querySelector('.define .diagram-picture svg');
    const tokens = {};
    for (const g of svg.querySelectorAll('[data-place]')) {
      const count = Number(g.dataset.tokens ?? 0);
      if (count > 0) tokens[g.dataset.place] = count;
    }
    const fired = [...svg.querySelectorAll('[data-transition].fired')].map((g) => g.dataset.transition);
    return { tokens, fired };
  })()`);
}

/** How big a transition's box is drawn on the screen, in CSS pixels. */
const boxHeight = (view: Page, transitionId: string) =>
  view.evaluate<number>(
    `document.querySelector('.diagram-picture [data-transition="${transitionId}"] rect.box').getBoundingClientRect().height`,
  );

const scrollLeft = (view: Page) =>
  view.evaluate<number>("document.querySelector('.diagram-picture').scrollLeft");

const zoomLevel = async (view: Page) =>
  Number((await view.locator('.zoom-level').textContent())?.replace('%', ''));

beforeAll(async () => {
  [service, browser] = await Promise.all([startService(), launchChromium()]);
  desktop = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  desktop.setDefaultTimeout(15_000);
  checker = await desktop.newPage();
  page = await signedIn(desktop);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('POST /workflows/diagram.svg', () => {
  it('draws a net that is not stored, from JSON, and stores nothing', async () => {
    const response = await fetch(`${service.url}/workflows/diagram.svg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(deadlockNet()),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const svg = await response.text();
    for (const id of ['start', 'left', 'right', 'end']) expect(svg).toContain(`data-place="${id}"`);
    expect(svg).toContain('data-transition="merge"');
    expect((await service.call('GET', '/workflows/stuck')).status).toBe(404);
  });

  it('draws a PNML body', async () => {
    const response = await fetch(`${service.url}/workflows/diagram.svg?direction=down`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/xml' },
      body: readFileSync(join(EXAMPLES, 'traffic-light.pnml'), 'utf8'),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/<svg[^>]*class="net"/);
  });

  it('refuses a net that is not a workflow net, and a key that is not an admin’s', async () => {
    const broken = { ...deadlockNet(), arcs: deadlockNet().arcs.slice(1) };
    const refused = await service.call('POST', '/workflows/diagram.svg', broken);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('invalid_net');
    const reader = await service.call('POST', '/workflows/diagram.svg', deadlockNet(), READER_KEY);
    expect(reader.status).toBe(403);
  });
});

describe('defining a workflow in the browser', () => {
  it('offers "Define a workflow" on the empty workflows page', async () => {
    await page.goto(`${service.url}/#/workflows`);
    await page.getByText('No workflows yet').waitFor();
    await page.getByRole('link', { name: 'Define a workflow' }).click();
    await page.locator('h1', { hasText: 'Define a workflow' }).waitFor();
    expect(page.url()).toContain('#/define');
  });

  it.each(readdirSync(EXAMPLES).sort())(
    'verifies and saves examples/%s, pasted or opened as a file',
    async (file) => {
      const text = readFileSync(join(EXAMPLES, file), 'utf8');
      await page.goto(`${service.url}/#/define`);
      if (file.endsWith('.pnml')) {
        await page.getByLabel('Open a file (.json, .pnml)').setInputFiles(join(EXAMPLES, file));
        await page.getByText('PNML: ready to verify.').waitFor();
      } else {
        await page.getByLabel('Definition: JSON or PNML').fill(text);
        await page.getByText('JSON: ready to verify.').waitFor();
      }
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.locator('.verdict[data-sound="true"]').waitFor();
      await page.locator('.define .diagram-picture svg [data-place]').first().waitFor();
      await page.getByRole('button', { name: 'Save workflow' }).click();
      await page.waitForURL(/#\/workflows\/[^/]+$/);
      const id = decodeURIComponent(page.url().split('#/workflows/')[1]!);
      const stored = await service.call<{ id: string; state: string }>('GET', `/workflows/${id}`);
      expect(stored.status).toBe(200);
      expect(stored.body.state).toBe('active');
      await page.locator('.diagram-picture svg [data-place]').first().waitFor();
    },
  );

  it('shows why a definition is refused, with the paths of its problems', async () => {
    await page.goto(`${service.url}/#/define`);
    const broken = { ...deadlockNet(), arcs: [...deadlockNet().arcs, { from: 'left', to: 'nowhere' }] };
    await page.getByLabel('Definition: JSON or PNML').fill(JSON.stringify(broken));
    await page.getByRole('button', { name: 'Verify' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.getAttribute('data-code')).toBe('invalid_net');
    expect((await alert.locator('p').textContent())?.trim()).toBe(
      'Could not verify the definition: workflow stuck is not a valid workflow net: arc left → nowhere ends at an unknown node.',
    );
    expect(await page.locator('.details').textContent()).toContain('nowhere');
    expect(await page.getByRole('button', { name: 'Save workflow' }).isDisabled()).toBe(true);
  });

  it('plays a deadlock on the diagram, step by step, back and forth', async () => {
    expect(await verifyPasted(JSON.stringify(deadlockNet(), null, 2))).toBe('false');
    const deadlocks = page.locator('[data-problem="deadlock"]');
    expect(await deadlocks.count()).toBe(2);
    await deadlocks.first().getByRole('button', { name: 'Play on the diagram' }).click();
    const player = page.getByRole('group', { name: 'Play: Deadlock' });
    await player.waitFor();
    await page.getByText('The case starts: one token in start.').waitFor();
    expect(await shownStep()).toEqual({ tokens: { start: 1 }, fired: [] });

    await player.getByRole('button', { name: 'Next ▶' }).click();
    await page.getByText('Deadlock: nothing is enabled, and end has no token.').waitFor();
    const stuck = await shownStep();
    expect(stuck.fired).toEqual(['decide']);
    expect(Object.keys(stuck.tokens)).toHaveLength(1);
    expect(['left', 'right']).toContain(Object.keys(stuck.tokens)[0]);
    expect(await player.getByRole('button', { name: 'Next ▶' }).isDisabled()).toBe(true);
    expect(await page.locator('.diagram-picture path.arc.fired').count()).toBe(2);
    await screenshotOf('define-deadlock');

    await player.getByRole('button', { name: '◀ Previous' }).click();
    await page.getByText('The case starts: one token in start.').waitFor();
    expect(await shownStep()).toEqual({ tokens: { start: 1 }, fired: [] });
    expect(await page.getByRole('button', { name: 'Save workflow' }).isDisabled()).toBe(true);
  });

  it('plays an improper completion to the token left over', async () => {
    expect(await verifyPasted(JSON.stringify(improperNet()))).toBe('false');
    await page
      .locator('[data-problem="improper"]')
      .first()
      .getByRole('button', { name: 'Play on the diagram' })
      .click();
    const player = page.getByRole('group', { name: 'Play: Improper completion' });
    await player.getByRole('button', { name: 'Play ▶' }).click();
    await page
      .getByText('Improper completion: end has a token, but it is not the only token left.')
      .waitFor();
    const last = await shownStep();
    expect(last.tokens['end']).toBe(1);
    expect(Object.values(last.tokens).reduce((a, b) => a + b, 0)).toBe(2);
    expect(await player.getByRole('button', { name: 'Play ▶' }).isVisible()).toBe(true);
  });

  it('plays the pumping of an unbounded place, one more token each round', async () => {
    expect(await verifyPasted(JSON.stringify(unboundedNet()))).toBe('false');
    const problem = page.locator('[data-problem="unbounded"]');
    expect(await problem.textContent()).toContain('heap');
    await problem.getByRole('button', { name: 'Play on the diagram' }).click();
    const player = page.getByRole('group', { name: 'Play: Unbounded place heap' });
    const firings = player.locator('.firings li');
    // start, the run to the pump, then the pumping sequence twice.
    const count = await firings.count();
    const heapAt = async (index: number) => {
      await firings.nth(index).getByRole('button').click();
      return (await shownStep()).tokens['heap'] ?? 0;
    };
    const pumping = await player.locator('.firings li.pumping').count();
    expect(pumping % 2).toBe(0);
    const once = await heapAt(count - 1 - pumping / 2);
    const twice = await heapAt(count - 1);
    expect(twice).toBe(once + 1);
    await page.getByText(/each round of the pumping sequence adds a token to heap/).waitFor();
    expect(await page.locator('.diagram-picture [data-place="heap"].pumped').count()).toBe(1);
  });

  it('saves an unsound net only when asked to, and says so', async () => {
    expect(await verifyPasted(JSON.stringify(improperNet()))).toBe('false');
    const save = page.getByRole('button', { name: 'Save workflow' });
    expect(await save.isDisabled()).toBe(true);
    await page.getByLabel('Save it although it is not proven sound').check();
    await save.click();
    await page.waitForURL(/#\/workflows\/twice$/);
    const stored = await service.call<{ soundness?: { sound: boolean } }>('GET', '/workflows/twice');
    expect(stored.body.soundness?.sound).toBe(false);
  });

  it('discards a workflow after a confirmation that Escape dismisses, focus back on its button', async () => {
    await page.goto(`${service.url}/#/workflows/twice`);
    const discard = page.getByRole('button', { name: 'Discard…' });
    await discard.click();
    const confirm = page.getByRole('group', { name: 'Confirm discarding' });
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await page.evaluate<string>('document.activeElement.textContent.trim()')).toBe('Discard…');
    expect((await service.call<{ state: string }>('GET', '/workflows/twice')).body.state).toBe('active');

    await discard.click();
    await confirm.getByRole('button', { name: 'Discard', exact: true }).click();
    await page.getByText('This workflow is discarded: no new cases.').waitFor();
    expect((await service.call<{ state: string }>('GET', '/workflows/twice')).body.state).toBe('discarded');
  });
});

describe('zoom and pan', () => {
  beforeAll(defineZoomFixtures);

  it('draws an 81-node net at a readable size on a desktop, scrolling beyond the screen', async () => {
    await page.goto(`${service.url}/#/workflows/long`);
    await page.locator('.diagram-picture svg [data-transition="step40"]').waitFor();
    expect(await boxHeight(page, 'step1')).toBeGreaterThanOrEqual(30);
    const scroll = await page.evaluate<{ width: number; client: number }>(
      `(() => { const v = document.querySelector('.diagram-picture'); return { width: v.scrollWidth, client: v.clientWidth }; })()`,
    );
    expect(scroll.width).toBeGreaterThan(scroll.client * 2);
    await page.locator('.notice').waitFor({ state: 'detached' });
    await screenshotOf('workflow-large');
  });

  it('zooms with the buttons, the keys and Ctrl and the wheel, and fits again with 0', async () => {
    const fitted = await boxHeight(page, 'step1');
    await page.getByRole('button', { name: 'Zoom in' }).click();
    expect(await boxHeight(page, 'step1')).toBeGreaterThan(fitted * 1.2);
    await page.getByRole('button', { name: 'Fit' }).click();
    expect(await boxHeight(page, 'step1')).toBeCloseTo(fitted, 0);

    const view = page.locator('.diagram-picture');
    await view.focus();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    expect(await boxHeight(page, 'step1')).toBeGreaterThan(fitted * 1.5);
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    expect(await boxHeight(page, 'step1')).toBeLessThan(fitted);
    await page.keyboard.press('0');
    expect(await boxHeight(page, 'step1')).toBeCloseTo(fitted, 0);

    const left = await scrollLeft(page);
    await page.keyboard.press('ArrowRight');
    expect(await scrollLeft(page)).toBeGreaterThan(left);

    const box = (await view.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -400);
    await page.keyboard.up('Control');
    await until(
      () => zoomLevel(page),
      (level) => level > 100,
    );
    expect(await boxHeight(page, 'step1')).toBeGreaterThan(fitted);
  });

  it('pans by dragging with the mouse', async () => {
    await page.getByRole('button', { name: 'Fit' }).click();
    const view = page.locator('.diagram-picture');
    const box = (await view.boundingBox())!;
    const before = await scrollLeft(page);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 300, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    expect((await scrollLeft(page)) - before).toBeCloseTo(300, -1);
  });

  it('stays readable on a phone, and zooms with two fingers', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 1,
      hasTouch: true,
      isMobile: true,
    });
    phone.setDefaultTimeout(15_000);
    const small = await signedIn(phone);
    await small.goto(`${service.url}/#/workflows/long`);
    await small.locator('.diagram-picture svg [data-transition="step40"]').waitFor();
    const fitted = await boxHeight(small, 'step1');
    expect(fitted).toBeGreaterThanOrEqual(30);
    // Nothing but the diagram's own view scrolls sideways.
    const wider = await small.evaluate<string[]>(`[...document.querySelectorAll('body *')]
      .filter((e) => !e.closest('.diagram-picture') && e.getBoundingClientRect().right > 390.5)
      .map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`);
    expect(wider).toEqual([]);

    const view = (await small.locator('.diagram-picture').boundingBox())!;
    const [x, y] = [view.x + view.width / 2, view.y + Math.min(view.height / 2, 200)];
    const cdp = await phone.newCDPSession(small);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', spread: number) =>
      cdp.send('Input.dispatchTouchEvent', {
        type,
        touchPoints:
          type === 'touchEnd'
            ? []
            : [
                { x: x - spread, y, id: 1 },
                { x: x + spread, y, id: 2 },
              ],
      });
    await touch('touchStart', 20);
    for (const spread of [30, 45, 60, 80]) await touch('touchMove', spread);
    await touch('touchEnd', 0);
    expect(await boxHeight(small, 'step1')).toBeGreaterThan(fitted * 2);
    await phone.close();
  });

  it('keeps the zoom of a case’s diagram while travelling in time', async () => {
    await page.goto(`${service.url}/#/cases/zoomed`);
    await page.locator('.diagram-picture svg[data-revision]').waitFor();
    const before = await zoomLevel(page);
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    const zoomed = await zoomLevel(page);
    expect(zoomed).toBeGreaterThan(before);
    const height = await boxHeight(page, 'approve');
    const revision = await page.locator('.diagram-picture svg').getAttribute('data-revision');
    await page.getByRole('button', { name: 'Step back one event' }).click();
    await page.locator(`.diagram-picture svg:not([data-revision="${revision}"])`).waitFor();
    expect(await zoomLevel(page)).toBe(zoomed);
    expect(await boxHeight(page, 'approve')).toBeCloseTo(height, 0);
  });
});

describe('the shell', () => {
  beforeAll(defineZoomFixtures);

  it('shows the page of a link followed while the app is still starting', async () => {
    const starting = await signedIn(desktop);
    // The hash changes as soon as the shell is first drawn, before the app has drawn anything else.
    await starting.addInitScript(`new MutationObserver((_, observer) => {
      if (!document.getElementById('main')) return;
      observer.disconnect();
      location.hash = '#/define';
    }).observe(document, { childList: true, subtree: true })`);
    await starting.goto('about:blank');
    await starting.goto(`${service.url}/#/workflows`);
    await starting.getByLabel('Definition: JSON or PNML').waitFor({ timeout: 5_000 });
    expect(await starting.locator('h1').textContent()).toContain('Define');
    await starting.close();
  });

  it('writes the diagram’s legend at 12 px or more', async () => {
    await page.goto(`${service.url}/#/cases/zoomed`);
    await page.locator('.diagram-picture svg .legend text').first().waitFor();
    const sizes = await page.evaluate<number[]>(
      `[...document.querySelectorAll('.diagram-picture svg .legend text')].map((t) => parseFloat(getComputedStyle(t).fontSize))`,
    );
    expect(sizes.length).toBeGreaterThan(5);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(12);
  });

  it('shows a notice that leaves every button of the page within reach', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    phone.setDefaultTimeout(15_000);
    const small = await signedIn(phone);
    await small.goto(`${service.url}/#/workflows/reviews`);
    await small.getByLabel(/^Case id/).fill('noticed');
    await small.getByRole('button', { name: 'Start case' }).click();
    await small.locator('.notice', { hasText: 'Case noticed started.' }).waitFor();
    await small.locator('h1', { hasText: 'noticed' }).waitFor();
    const blocked = await small.evaluate<string[]>(`(() => {
      const blocked = [];
      for (const button of document.querySelectorAll('main button')) {
        if (button.offsetParent === null) continue;
        button.scrollIntoView({ block: 'end', inline: 'end' });
        const r = button.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        const notice = document.querySelector('.notice');
        if (!notice) return ['the notice went before every button was checked'];
        if (!button.contains(hit)) blocked.push(button.textContent.trim());
      }
      return blocked;
    })()`);
    expect(blocked).toEqual([]);
    await phone.close();
  });

  it('closes the terminate confirmation with Escape and gives focus back to its button', async () => {
    await page.goto(`${service.url}/#/cases/zoomed`);
    const terminate = page.getByRole('button', { name: 'Terminate case…' });
    await terminate.click();
    const confirm = page.getByRole('group', { name: 'Confirm termination' });
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await page.evaluate<string>('document.activeElement.textContent.trim()')).toBe('Terminate case…');
    expect((await service.call<CaseBody>('GET', '/cases/zoomed')).body.state).toBe('active');
  });

  it('closes the worklist’s complete form with Escape and gives focus back to its button', async () => {
    await page.goto(`${service.url}/#/worklist`);
    const card = page.locator('[data-workitem]').first();
    await card.getByRole('button', { name: 'Complete…' }).click();
    const form = card.locator('form.complete');
    await form.waitFor();
    await form.getByRole('textbox').focus();
    await page.keyboard.press('Escape');
    await form.waitFor({ state: 'detached' });
    expect(await page.evaluate<string>('document.activeElement.textContent.trim()')).toBe('Complete…');
    expect(pageErrors).toEqual([]);
  });
});

/** A picture for the README (`npm run screenshots`), measured to be neither blank nor all ink. */
async function screenshotOf(name: string): Promise<void> {
  const look = await screenshot(page, checker, name, { fullPage: true });
  expect(look.colours).toBeGreaterThan(16);
  expect(look.inked).toBeGreaterThan(0.01);
}
