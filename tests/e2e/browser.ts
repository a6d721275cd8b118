/** Debian's Chromium driven by playwright-core (Playwright cannot download its own browsers here). */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startServer, stopServer, type ServerProcess } from '../helpers/server';
import { tempDir } from '../helpers/tmp';
import { ROOT } from '../helpers/server';

export const SCREENSHOTS = path.join(ROOT, 'tests/.tmp/screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Collects console errors, uncaught exceptions and failed requests of a page. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (req) => {
    // Requests still in flight when the page navigates or reloads (the live-events stream always is)
    // are aborted by the browser: that is navigation, not a failure.
    if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The elements wider than the viewport (to say what makes a page scroll sideways). */
const overflowingElements = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`),
  );

/**
 * What makes the page itself scroll sideways ([] when it does not; wide content must scroll inside its own box).
 * Charts re-measure through ResizeObserver a frame or more after a viewport change, so the page gets up to
 * `settleMs` to lay itself out again; an overflow that outlasts that is real.
 */
export async function sidewaysOverflow(page: Page, settleMs = 3000): Promise<string[]> {
  const scrolls = () => page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
  const deadline = Date.now() + settleMs;
  while (await scrolls()) {
    if (Date.now() > deadline) {
      const culprits = await overflowingElements(page);
      return culprits.length ? culprits : ['(the page scrolls sideways)'];
    }
    await page.waitForTimeout(100);
  }
  return [];
}

export interface E2eSession {
  server: ServerProcess;
  browser: Browser;
}

/**
 * For a test file: a real `npm start`ed server on a free port with an empty data folder (or one
 * that `prepare` filled first), and
 * Chromium; both started before the file's tests and stopped after. Read the fields inside tests.
 */
export function e2eSession(options: { prepare?: (dataDir: string) => Promise<void>; env?: Record<string, string> } = {}): E2eSession {
  const session = {} as E2eSession;
  let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
  beforeAll(async () => {
    tmp = await tempDir();
    await options.prepare?.(tmp.dir);
    session.server = await startServer({ dataDir: tmp.dir, apiOnly: false, viaNpm: true, ...(options.env && { env: options.env }) }, 280_000);
    session.browser = await launchBrowser();
  });
  afterAll(async () => {
    await session.browser?.close();
    if (session.server) await stopServer(session.server);
    await tmp?.cleanup();
  });
  return session;
}
