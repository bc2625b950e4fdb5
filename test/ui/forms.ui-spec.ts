import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import type { Service, WorkitemBody } from './service.js';
import { ADMIN_KEY, accessibilityViolations, launchChromium, startService, until } from './service.js';

jest.setTimeout(45_000);

let service: Service;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** One manual step whose output schema uses every kind of field the form draws. */
const inspectionNet = {
  id: 'inspection',
  places: [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end' },
  ],
  transitions: [
    {
      id: 'inspect',
      executor: 'manual',
      outputSchema: {
        type: 'object',
        required: ['inspector', 'score', 'grade', 'address'],
        properties: {
          inspector: { type: 'string', title: 'Inspector', description: 'Who walked through the site.' },
          score: { type: 'number', title: 'Score', minimum: 0, maximum: 10 },
          visits: { type: 'integer', title: 'Visits' },
          passed: { type: 'boolean', title: 'Passed' },
          grade: { type: 'string', title: 'Grade', enum: ['A', 'B', 'C'] },
          on: { type: 'string', format: 'date', title: 'Inspected on' },
          signedAt: { type: 'string', format: 'date-time', title: 'Signed at' },
          address: {
            type: 'object',
            title: 'Address',
            required: ['city'],
            properties: {
              street: { type: 'string', title: 'Street' },
              city: { type: 'string', title: 'City' },
            },
          },
          findings: {
            type: 'array',
            title: 'Findings',
            items: {
              type: 'object',
              title: 'Finding',
              properties: {
                note: { type: 'string', title: 'Note' },
                severity: { type: 'integer', title: 'Severity', minimum: 1 },
              },
            },
          },
        },
      },
    },
  ],
  arcs: [
    { from: 'start', to: 'inspect' },
    { from: 'inspect', to: 'end' },
  ],
};

const card = (caseId: string) => page.locator(`article.workitem[data-workitem="${caseId}:workitem-1"]`);
/** A field of the form by its label (a required field's label ends in a mark). */
const field = (scope: Locator, label: string) => scope.getByLabel(new RegExp(`^${label}`));

async function openForm(caseId: string): Promise<Locator> {
  await page.goto(`${service.url}/#/worklist`);
  const form = card(caseId).locator('form.complete');
  await card(caseId).getByRole('button', { name: 'Complete…' }).click();
  await field(form, 'Inspector').waitFor();
  return form;
}

async function outputOf(caseId: string): Promise<unknown> {
  const done = await until(
    async () =>
      (await service.call<WorkitemBody & { output: unknown }>('GET', `/workitems/${caseId}:workitem-1`)).body,
    (w) => w.state === 'completed',
  );
  return done.output;
}

beforeAll(async () => {
  [service, browser] = await Promise.all([startService(), launchChromium()]);
  expect((await service.call('POST', '/workflows', inspectionNet)).status).toBe(201);
  const started = await Promise.all(
    ['site-1', 'site-2'].map((id) => service.call('POST', '/cases', { workflowId: 'inspection', id })),
  );
  expect(started.map((reply) => reply.status)).toEqual([201, 201]);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${service.url}/`);
  await page.evaluate(`localStorage.setItem('wfnet.apiKey', ${JSON.stringify(ADMIN_KEY)})`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('a form drawn from an output schema', () => {
  let form: Locator;

  it('draws each kind of field with its label, hint and required mark', async () => {
    form = await openForm('site-1');
    expect(await field(form, 'Inspector').getAttribute('type')).toBe('text');
    expect(await field(form, 'Inspector').getAttribute('aria-required')).toBe('true');
    const hint = await field(form, 'Inspector').getAttribute('aria-describedby');
    expect(await page.locator(`[id="${hint}"]`).textContent()).toBe('Who walked through the site.');
    expect(await field(form, 'Score').getAttribute('inputmode')).toBe('decimal');
    expect(await field(form, 'Visits').getAttribute('inputmode')).toBe('numeric');
    expect(await field(form, 'Passed').getAttribute('type')).toBe('checkbox');
    expect(await field(form, 'Grade').locator('option').allTextContents()).toEqual([
      'Choose…',
      'A',
      'B',
      'C',
    ]);
    expect(await field(form, 'Inspected on').getAttribute('type')).toBe('date');
    expect(await field(form, 'Signed at').getAttribute('type')).toBe('datetime-local');
    const address = form.getByRole('group', { name: /^Address/ });
    expect(await field(address, 'City').getAttribute('aria-required')).toBe('true');
    expect(await form.locator('.required').count()).toBe(5);
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it("shows the schema's messages at their fields when the service refuses the output", async () => {
    await field(form, 'Inspector').fill('Ines');
    await field(form, 'Score').fill('12');
    await field(form, 'Grade').selectOption('B');
    await form.getByRole('button', { name: 'Complete', exact: true }).click();

    const score = field(form, 'Score');
    await form.locator('[data-field="/score"] .field-error').waitFor();
    expect(await score.getAttribute('aria-invalid')).toBe('true');
    const described = (await score.getAttribute('aria-describedby')) ?? '';
    expect(await page.locator(`[id="${described}"]`).textContent()).toBe('must be <= 10');
    const city = field(form.getByRole('group', { name: /^Address/ }), 'City');
    expect(await city.getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('[data-field="/address/city"] .field-error').textContent()).toBe('is required');
    // The fields that were right keep what was typed.
    expect(await field(form, 'Inspector').inputValue()).toBe('Ines');
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('submits every kind of field as the output, arrays with rows added and removed', async () => {
    await field(form, 'Score').fill('7.5');
    await field(form, 'Visits').fill('2');
    await field(form, 'Passed').check();
    await field(form, 'Inspected on').fill('2026-03-04');
    await field(form, 'Signed at').fill('2026-03-04T10:30');
    const address = form.getByRole('group', { name: /^Address/ });
    await field(address, 'Street').fill('Main street 1');
    await field(address, 'City').fill('Gent');
    const findings = form.getByRole('group', { name: 'Findings' });
    await findings.getByRole('button', { name: 'Add to Findings' }).click();
    await findings.getByRole('button', { name: 'Add to Findings' }).click();
    await field(findings.getByRole('group', { name: 'Finding 1' }), 'Note').fill('dropped');
    await field(findings.getByRole('group', { name: 'Finding 2' }), 'Note').fill('rust on the rail');
    await field(findings.getByRole('group', { name: 'Finding 2' }), 'Severity').fill('2');
    await findings.getByRole('button', { name: 'Remove Findings 1' }).click();
    expect(await field(findings.getByRole('group', { name: 'Finding 1' }), 'Note').inputValue()).toBe(
      'rust on the rail',
    );
    const signedAt = await page.evaluate<string>("new Date('2026-03-04T10:30').toISOString()");
    await form.getByRole('button', { name: 'Complete', exact: true }).click();

    expect(await outputOf('site-1')).toEqual({
      inspector: 'Ines',
      score: 7.5,
      visits: 2,
      passed: true,
      grade: 'B',
      on: '2026-03-04',
      signedAt,
      address: { street: 'Main street 1', city: 'Gent' },
      findings: [{ note: 'rust on the rail', severity: 2 }],
    });
  });

  it('keeps the raw JSON one click away, carrying what the form holds', async () => {
    form = await openForm('site-2');
    await field(form, 'Inspector').fill('Omar');
    await form.getByRole('button', { name: 'Edit as JSON' }).click();
    const json = form.getByLabel('Output of inspect (JSON)');
    expect(JSON.parse(await json.inputValue())).toEqual({
      inspector: 'Omar',
      passed: false,
      address: {},
      findings: [],
    });
    await json.fill('{"inspector": "Omar", "score": 3, "grade": "C", "address": {"city": "Lier"}}');
    await form.getByRole('button', { name: 'Edit as a form' }).click();
    expect(await field(form, 'Grade').inputValue()).toBe('"C"');
    await form.getByRole('button', { name: 'Complete', exact: true }).click();
    expect(await outputOf('site-2')).toEqual({
      inspector: 'Omar',
      score: 3,
      grade: 'C',
      address: { city: 'Lier' },
    });
    expect(pageErrors).toEqual([]);
  });
});
