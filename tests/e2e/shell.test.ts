/** The SPA shell against a real `npm start`ed server in headless Chromium. */
import type { BrowserContext } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSession, sidewaysOverflow, screenshot, watchProblems } from './browser';

const session = e2eSession();

const ui = (path = '') => `${session.server.url}/modellab${path}`;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${session.server.url}/api/modellab${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as { id: string };
}

async function withPage<T>(fn: (ctx: BrowserContext, problems: string[]) => Promise<T>, viewport = { width: 1280, height: 800 }) {
  const ctx = await session.browser.newContext({ viewport });
  const page = await ctx.newPage();
  const problems = watchProblems(page);
  try {
    return await fn(ctx, problems);
  } finally {
    await ctx.close();
  }
}

describe('empty installation', () => {
  it('shows zero counts and the empty states, with no console errors', async () => {
    await withPage(async (ctx, problems) => {
      const page = ctx.pages()[0]!;
      await page.goto(ui());
      await expect.poll(() => page.getByTestId('stat-runs').locator('dd').textContent()).toBe('0');
      expect(await page.getByText('No runs yet.', { exact: false }).count()).toBeGreaterThan(0);
      await screenshot(page, 'dashboard-empty');
      await page.goto(ui('/runs'));
      await page.getByText(/No runs yet/).waitFor();
      await page.goto(ui('/datasets'));
      await page.getByText('No datasets yet.').waitFor();
      expect(problems).toEqual([]);
    });
  });
});

describe('with runs', () => {
  let completedId: string;
  beforeAll(async () => {
    const done = await api('POST', '/runs', { name: 'resnet50-baseline', status: 'completed', metrics: { accuracy: 0.912, loss: 0.31 }, hyperparameters: { lr: 0.1 } });
    completedId = done.id;
    await api('POST', '/runs', { name: 'resnet50-wide', status: 'running', hyperparameters: { lr: 0.05 } });
    await api('POST', '/runs', { name: 'vit-small', hyperparameters: { lr: 0.001, patch: 16 } });
  });

  it('the dashboard shows the real numbers from the API', async () => {
    await withPage(async (ctx, problems) => {
      const page = ctx.pages()[0]!;
      await page.goto(ui());
      await expect.poll(() => page.getByTestId('stat-runs').locator('dd').textContent()).toBe('3');
      expect(await page.getByTestId('stat-completed').locator('dd').textContent()).toBe('1');
      expect(await page.getByTestId('stat-running').locator('dd').textContent()).toBe('1');
      expect(await page.getByTestId('stat-pending').locator('dd').textContent()).toBe('1');
      expect(await page.getByTestId('stat-datasets').locator('dd').textContent()).toBe('0');
      await page.getByRole('link', { name: 'vit-small' }).waitFor();
      await page.locator('.recharts-bar-rectangle').first().waitFor();
      await screenshot(page, 'dashboard');
      expect(problems).toEqual([]);
    });
  });

  it('navigates to Runs and a run, and a reload of the deep link shows the same run', async () => {
    await withPage(async (ctx, problems) => {
      const page = ctx.pages()[0]!;
      await page.goto(ui());
      await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
      await page.getByTestId('runs-table').waitFor();
      await expect.poll(() => page.getByTestId('run-row').count()).toBe(3);
      await screenshot(page, 'runs');
      await page.getByTestId('run-row').filter({ hasText: 'resnet50-baseline' }).click();
      await page.waitForURL(`**/modellab/runs/${completedId}`);
      await page.getByRole('heading', { name: /resnet50-baseline/ }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: /resnet50-baseline/ }).waitFor();
      await page.getByText('lr: 0.1').waitFor();
      await screenshot(page, 'run-detail');
      expect(problems).toEqual([]);
    });
  });

  it('a reload of /modellab/runs?status=running keeps the filter', async () => {
    await withPage(async (ctx, problems) => {
      const page = ctx.pages()[0]!;
      await page.goto(ui('/runs?status=running'));
      await page.getByTestId('runs-table').waitFor();
      await expect.poll(() => page.getByTestId('run-row').count()).toBe(1);
      expect(await page.getByRole('button', { name: 'running', pressed: true }).count()).toBe(1);
      expect(problems).toEqual([]);
    });
  });

  it('compares two runs: the selection is in the URL and the config diff shows what changed', async () => {
    await withPage(async (ctx, problems) => {
      const page = ctx.pages()[0]!;
      await page.goto(ui('/compare'));
      // The selection lives in the URL; React Router applies it in a transition, so click and wait.
      await page.getByLabel('resnet50-baseline').click();
      await expect.poll(() => page.getByLabel('resnet50-baseline').isChecked()).toBe(true);
      await page.getByLabel('vit-small').click();
      const diff = page.getByTestId('config-diff');
      await diff.waitFor();
      expect(await diff.locator('tr', { hasText: 'params.lr' }).locator('td').allTextContents()).toEqual(['params.lr', 'changed', '0.1', '0.001']);
      expect(await diff.locator('tr', { hasText: 'params.patch' }).locator('td').nth(1).textContent()).toBe('added');
      expect(page.url()).toContain('runs=');
      await page.reload();
      await diff.waitFor();
      await screenshot(page, 'compare');
      expect(problems).toEqual([]);
    });
  });

  it('shows a not-found page for an unknown route, also on reload', async () => {
    await withPage(async (ctx, problems) => {
      const page = ctx.pages()[0]!;
      const res = await page.goto(ui('/no/such/page'));
      expect(res?.status()).toBe(200);
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      await screenshot(page, 'not-found');
      expect(problems).toEqual([]);
    });
  });

  it('serves a favicon', async () => {
    await withPage(async (ctx) => {
      const page = ctx.pages()[0]!;
      await page.goto(ui());
      const href = await page.locator('link[rel="icon"]').getAttribute('href');
      const res = await fetch(new URL(href!, session.server.url));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('svg');
    });
  });

  it('is usable at 375 px wide without the page scrolling sideways', async () => {
    await withPage(
      async (ctx, problems) => {
        const page = ctx.pages()[0]!;
        for (const [name, path] of [
          ['dashboard', ''],
          ['runs', '/runs'],
          ['run-detail', `/runs/${completedId}`],
          ['datasets', '/datasets'],
          ['compare', '/compare'],
        ] as const) {
          await page.goto(ui(path));
          await page.getByRole('heading', { level: 1 }).waitFor();
          await page.waitForLoadState('networkidle');
          expect(await sidewaysOverflow(page), name).toEqual([]);
          await screenshot(page, `narrow-${name}`);
        }
        // The nav stays reachable.
        await page.getByRole('navigation').getByRole('link', { name: 'Compare' }).click();
        await page.waitForURL('**/modellab/compare');
        expect(problems).toEqual([]);
      },
      { width: 375, height: 740 },
    );
  });
});

describe('when the API fails', () => {
  it('shows an error with a retry instead of a spinner forever', async () => {
    await withPage(async (ctx) => {
      const page = ctx.pages()[0]!;
      let fail = true;
      await page.route('**/api/modellab/stats', (route) =>
        fail
          ? route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'Store is unavailable' } }) })
          : route.continue(),
      );
      await page.goto(ui());
      await page.getByRole('alert').getByText('Store is unavailable').waitFor();
      await screenshot(page, 'dashboard-error');
      fail = false;
      await page.getByRole('button', { name: 'Retry' }).click();
      await expect.poll(() => page.getByTestId('stat-runs').locator('dd').textContent()).toBe('3');
    });
  });
});
