/** Run tracking in the browser: create a run in the UI, log metrics over HTTP, watch the chart update live. */
import { describe, expect, it } from 'vitest';
import { e2eSession, sidewaysOverflow, screenshot, watchProblems } from './browser';

const session = e2eSession();

const api = (path: string, body?: unknown) =>
  fetch(`${session.server.url}/api/modellab${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then((r) => r.json() as Promise<Record<string, unknown>>);

describe('Runs', () => {
  it('creates a run in the form, then its loss chart grows live as a script logs metrics over HTTP', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs`);
    await page.getByRole('button', { name: 'Create run' }).click();
    await page.getByLabel('Name', { exact: true }).fill('live-training');
    await page.getByLabel('Hyperparameters (JSON)').fill('{"lr": 0.01, "optimizer": {"name": "adam"');
    await page.getByText(/^Hyperparameters .*JSON/).last().waitFor(); // inline JSON error while it is incomplete
    expect(await page.getByRole('button', { name: 'Create' }).isDisabled()).toBe(true);
    await page.getByLabel('Hyperparameters (JSON)').fill('{"lr": 0.01, "optimizer": {"name": "adam"}}');
    await page.getByLabel('Seed (random when empty)').fill('1234');
    await page.getByLabel('Tags (key=value, comma separated)').fill('team=vision');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: /live-training/ }).waitFor();
    const runId = page.url().split('/').pop()!;
    await page.getByText('optimizer').waitFor();
    expect(await page.getByText('1234').count()).toBeGreaterThan(0);
    await page.getByText(/No metrics logged yet/).waitFor();

    // A "training script" logs over HTTP; the page must update without a reload.
    await api(`/runs/${runId}`, undefined);
    await fetch(`${session.server.url}/api/modellab/runs/${runId}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"status":"running"}' });
    await page.getByRole('button', { name: 'Mark completed' }).waitFor();
    for (let epoch = 0; epoch < 3; epoch++) {
      const metrics = Array.from({ length: 10 }, (_, i) => ({ key: 'loss', value: 2 / (epoch * 10 + i + 1), step: epoch * 10 + i }));
      await api(`/runs/${runId}/metrics`, { metrics });
      await expect.poll(() => page.getByTestId('metric-count-loss').textContent(), { timeout: 10_000 }).toBe(String((epoch + 1) * 10));
    }
    await page.getByTestId('metric-chart-loss').locator('.recharts-line-curve').waitFor();
    await screenshot(page, 'run-live-metrics');

    await page.getByRole('button', { name: 'Mark completed' }).click();
    await page.getByText('completed', { exact: true }).first().waitFor();
    expect(await page.getByRole('button', { name: /Mark/ }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('filters with the query language, shows a malformed filter inline with its position, and sorts by a metric', async () => {
    for (let i = 0; i < 30; i++) await api('/runs', { name: `sweep-${i}`, status: i % 3 === 0 ? 'failed' : 'completed', metrics: { acc: i / 100 } });
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs`);
    await expect.poll(() => page.getByTestId('runs-total').textContent()).toBe('31 run(s)');
    await page.getByLabel('Filter', { exact: true }).fill("status = 'completed' AND metrics.acc >");
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('filter-pointer').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/Expected a value.*at position 39/);
    await page.getByLabel('Filter', { exact: true }).fill("status = 'completed' AND metrics.acc >= 0.2");
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.getByTestId('runs-total').textContent()).toBe('7 run(s)');
    await page.getByRole('columnheader', { name: /acc/ }).getByRole('button').click(); // sort by acc, descending
    await expect.poll(() => page.getByTestId('run-row').first().textContent()).toContain('sweep-29');
    expect(page.url()).toContain('sort=metrics.acc%3Adesc');
    await screenshot(page, 'runs-filtered');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('opens a filtered, sorted link with one request for its first page, made while the page\'s code is still loading', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    const firstPages: string[] = [];
    let codeReleased = false;
    let askedBeforeCode = false;
    page.on('request', (r) => {
      if (!/\/api\/modellab\/runs\?.*offset=0/.test(r.url())) return;
      firstPages.push(r.url());
      if (!codeReleased) askedBeforeCode = true;
    });
    // Hold the Runs page's code back: the route's loader must not wait for it.
    await page.route(/\/assets\/Runs-[^/]*\.js$/, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      codeReleased = true;
      await route.continue();
    });
    await page.goto(`${session.server.url}/modellab/runs?filter=${encodeURIComponent('metrics.acc >= 0.2')}&sort=metrics.acc%3Aasc`);
    await expect.poll(() => page.getByTestId('run-row').first().textContent()).toContain('sweep-20');
    expect(await page.getByTestId('runs-total').textContent()).toBe('10 run(s)');
    expect(askedBeforeCode).toBe(true);
    expect(firstPages).toHaveLength(1); // the route's prefetch, taken by the page (not asked for twice)
    expect(firstPages[0]).toContain('filter=metrics.acc');
    // Changing the query still loads it.
    await page.getByRole('button', { name: 'failed' }).click();
    await expect.poll(() => page.getByTestId('runs-total').textContent()).toBe('3 run(s)');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('renders only the rows in view for thousands of runs, and stays within 375 px', async () => {
    const json = { 'content-type': 'application/json' };
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 250; i++) await fetch(`${session.server.url}/api/modellab/runs`, { method: 'POST', headers: json, body: JSON.stringify({ name: `bulk-${w}-${i}` }) });
      }),
    );
    const page = await session.browser.newPage({ viewport: { width: 375, height: 800 } });
    await page.goto(`${session.server.url}/modellab/runs`);
    await expect.poll(() => page.getByTestId('runs-total').textContent()).toBe('2,031 run(s)');
    const rendered = await page.getByTestId('run-row').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(60);
    // Scroll to the end: the last rows are fetched and shown.
    await page.getByTestId('runs-table').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(() => page.locator('[aria-rowindex="2031"]').count()).toBe(1);
    expect(await sidewaysOverflow(page)).toEqual([]);
    await screenshot(page, 'narrow-runs-many');
    await page.close();
  });

  it('shows the runs before their count when pages come without it (as from PostgreSQL), then the count, asked for once', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 800 } });
    const counts: string[] = [];
    // The JSON store counts every page anyway: answer as a store that does not (total null), and count slowly.
    await page.route(/\/api\/modellab\/runs\?/, async (route) => {
      const url = route.request().url();
      const response = await route.fetch();
      const body = (await response.json()) as { total: number | null };
      if (url.includes('count=false')) return route.fulfill({ response, json: { ...body, total: null } });
      if (/[?&]limit=0(&|$)/.test(url)) {
        counts.push(url);
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
      return route.fulfill({ response, json: body });
    });
    await page.goto(`${session.server.url}/modellab/runs`);
    await expect.poll(() => page.getByTestId('runs-total').textContent()).toBe('100+ run(s), counting…');
    expect(await page.getByTestId('run-row').count()).toBeGreaterThan(5);
    await screenshot(page, 'runs-counting');
    await expect.poll(() => page.getByTestId('runs-total').textContent(), { timeout: 10_000 }).toBe('2,031 run(s)');
    expect(counts).toHaveLength(1);
    // The whole table is there to scroll through once the count is known.
    await page.getByTestId('runs-table').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(() => page.locator('[aria-rowindex="2031"]').count()).toBe(1);
    await page.close();
  });
});

describe('Latency tab', () => {
  it('shows the cards, histogram and percentile curve of client-measured samples', async () => {
    const run = await api('/runs', { name: 'latency-run' });
    await api(`/runs/${run.id}/latency`, { samplesMs: Array.from({ length: 100 }, (_, i) => i + 1) });
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs/${run.id}`);
    await page.getByRole('tab', { name: 'Latency' }).click();
    const cards = page.getByTestId('latency-cards');
    await cards.waitFor();
    expect(await cards.locator('div', { hasText: 'p50' }).locator('dd').textContent()).toBe('50.5 ms');
    expect(await cards.locator('div', { hasText: 'p99' }).locator('dd').textContent()).toBe('99.01 ms');
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await page.locator('.recharts-line-curve').first().waitFor();
    await screenshot(page, 'latency-tab');
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('Dashboard', () => {
  it('updates live when a run is created elsewhere', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${session.server.url}/modellab`);
    const before = Number(await page.getByTestId('stat-runs').locator('dd').textContent());
    await api('/runs', { name: 'from-a-script', metrics: { acc: 0.99 } });
    await expect.poll(() => page.getByTestId('stat-runs').locator('dd').textContent(), { timeout: 10_000 }).toBe(String(before + 1));
    await page.getByTestId('best-runs').getByText('from-a-script').waitFor();
    await screenshot(page, 'dashboard-live');
    await page.close();
  });
});
