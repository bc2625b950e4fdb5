import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import packagedChromium from '@sparticuz/chromium';
import { loadConfig } from '../../apps/api/src/config/config.js';
import { createApp } from '../../apps/api/src/main.js';

export interface ErrorBody {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
}

export interface CaseBody {
  readonly id: string;
  readonly state: string;
  readonly marking: Record<string, number>;
  readonly position: string;
  readonly revision?: string;
}

export interface WorkitemBody {
  readonly id: string;
  readonly caseId: string;
  readonly transitionId: string;
  readonly state: string;
}

export const ADMIN_KEY = 'ui-admin-key';
export const READER_KEY = 'ui-reader-key';

export interface Service {
  readonly url: string;
  /** A JSON call with the admin key (or `key`), answering status and body. */
  call<T = ErrorBody>(
    method: string,
    path: string,
    body?: unknown,
    key?: string | null,
  ): Promise<{ status: number; body: T }>;
  /** A GET of anything, answering status, content type and text. */
  fetchText(path: string, key?: string | null): Promise<{ status: number; type: string; text: string }>;
  stop(): Promise<void>;
}

/**
 * The whole app on a loopback port, memory store, with an admin and a reader key; `env` adds settings
 * (a manual clock, networks a webhook may reach).
 */
export async function startService(env: Record<string, string> = {}): Promise<Service> {
  const config = loadConfig({
    WFNET_EVENT_STORE: 'memory',
    WFNET_API_KEYS: `${ADMIN_KEY}:admin,${READER_KEY}:reader`,
    ...env,
  });
  const app = await createApp({ config });
  app.useLogger(['error']);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') throw new Error('the app is not on a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  const auth = (key: string | null | undefined): Record<string, string> =>
    key === null ? {} : { authorization: `Bearer ${key ?? ADMIN_KEY}` };
  return {
    url,
    async call<T>(method: string, path: string, body?: unknown, key?: string | null) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { ...auth(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async fetchText(path, key) {
      const response = await fetch(`${url}${path}`, { headers: auth(key) });
      return {
        status: response.status,
        type: response.headers.get('content-type') ?? '',
        text: await response.text(),
      };
    },
    stop: () => app.close(),
  };
}

/** Asks `probe` until `accept` holds (bounded), for conditions reached through the API alone. */
export async function until<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`not reached in ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export { approval as approvalNet, parallel as parallelNet } from '../http/nets.js';

/**
 * The Chromium that `WFNET_CHROMIUM` names (a system's own, such as Debian's `/usr/bin/chromium`), else the
 * one `@sparticuz/chromium` ships inside its npm package, unpacked into the temporary folder on first use.
 */
async function chromiumPath(): Promise<string> {
  const named = process.env['WFNET_CHROMIUM'];
  if (named === undefined || named === '') return packagedChromium.executablePath();
  if (!existsSync(named)) throw new Error(`WFNET_CHROMIUM names ${named}, which does not exist`);
  return named;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = await chromiumPath();
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/**
 * The folder `WFNET_SCREENSHOTS_DIR` names (`npm run screenshots` refreshes the README tour's pictures in
 * docs/screenshots/), else a temporary folder, so a test run leaves the work tree as it was.
 */
export const SCREENSHOTS = join(
  process.env['WFNET_SCREENSHOTS_DIR'] ?? join(tmpdir(), 'wfnet-screenshots'),
  '/',
);

export interface PictureLook {
  readonly width: number;
  readonly height: number;
  /** Distinct colours among the sampled pixels. */
  readonly colours: number;
  /** The share of sampled pixels darker than a light grey. */
  readonly inked: number;
}

/** Runs in the browser (so as text: the tests are type-checked without the DOM's types). */
const MEASURE_PNG = `async (base64) => {
  const image = new Image();
  image.src = 'data:image/png;base64,' + base64;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const colours = new Set();
  let inked = 0;
  let sampled = 0;
  for (let i = 0; i < pixels.length; i += 4 * 5) {
    const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
    colours.add((r << 16) | (g << 8) | b);
    if (r + g + b < 600) inked += 1;
    sampled += 1;
  }
  return { width: canvas.width, height: canvas.height, colours: colours.size, inked: inked / sampled };
}`;

/**
 * Saves a screenshot under docs/screenshots/ and answers how it looks, measured in the browser: a
 * blank picture has one or two colours and no ink.
 */
export async function screenshot(
  page: Page,
  checker: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<PictureLook> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const png = await page.screenshot({
    path: `${SCREENSHOTS}${name}.png`,
    fullPage: options.fullPage ?? false,
  });
  return checker.evaluate<PictureLook>(`(${MEASURE_PNG})(${JSON.stringify(png.toString('base64'))})`);
}

const AXE = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');

/**
 * What axe-core finds against WCAG 2.1 A and AA on the page as it is now: one line per rule broken, with
 * the elements that break it (empty when the page is clean).
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern.
  if (!(await page.evaluate<boolean>("typeof window.axe === 'object'"))) await page.evaluate(AXE);
  const violations = await page.evaluate<{ id: string; help: string; targets: string[] }[]>(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then(
      (result) => result.violations.map((v) => ({ id: v.id, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })),
    )`);
  return violations.map((v) => `${v.id} (${v.help}): ${v.targets.join(', ')}`);
}
