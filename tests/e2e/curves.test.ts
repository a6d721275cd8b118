/**
 * Curves people can read (issue 19): on Compare, several runs' curves of a metric overlaid;
 * smoothing draws a different (smoothed) path with the raw one faint beneath; a log scale and a time
 * axis redraw it; dragging across the plot zooms in; the tooltip lists every run's value.
 */
import { describe, expect, it } from 'vitest';
import { e2eSession, screenshot, sidewaysOverflow, watchProblems } from './browser';

const session = e2eSession();
const post = async (path: string, body: unknown) =>
  (await fetch(`${session.server.url}/api/modellab${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<{ id: string }>;

describe('metric curves', () => {
  it('overlays runs, smooths, switches to a log scale and a time axis, zooms by dragging, and lists every run in the tooltip', async () => {
    const ids: string[] = [];
    for (let r = 0; r < 2; r++) {
      const { id } = await post('/runs', { name: `curve-${r}` });
      // A noisy decreasing loss: smoothing visibly changes the path.
      const metrics = Array.from({ length: 120 }, (_, step) => ({ key: 'loss', value: 2 / (step + 1 + r * 5) + (step % 2 ? 0.3 : 0), step, timestamp: 1_700_000_000_000 + step * 1000 }));
      await post(`/runs/${id}/metrics`, { metrics });
      ids.push(id);
    }
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/compare?runs=${ids.join(',')}`);
    const figure = page.getByTestId('compare-curve-loss');
    await figure.waitFor();
    const path = () => figure.locator('.curve-smoothed path.recharts-line-curve').first().getAttribute('d');
    await expect.poll(path).toBeTruthy();
    expect(await figure.locator('.curve-smoothed path.recharts-line-curve').count()).toBe(2);
    const raw = await path();
    expect(await figure.locator('.curve-raw').count()).toBe(0);

    await page.getByLabel('Smoothing').fill('0.9');
    await expect.poll(path).not.toBe(raw);
    const smoothed = await path();
    expect(await figure.locator('.curve-raw path.recharts-line-curve').count()).toBe(2); // the raw curves, faint
    await screenshot(page, 'curves-smoothed-1280');

    await page.getByLabel('Log scale').check();
    await expect.poll(path).not.toBe(smoothed);

    await page.getByLabel('X axis').selectOption('relative');
    await figure.locator('.recharts-cartesian-axis-tick-value', { hasText: /^30s$/ }).waitFor(); // seconds since each run's first point

    // The tooltip names both runs at the cursor.
    const plot = figure.locator('.recharts-surface').first();
    await plot.scrollIntoViewIfNeeded();
    const box = (await plot.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    const tooltip = figure.locator('.recharts-tooltip-wrapper');
    await tooltip.getByText(/curve-0: /).waitFor();
    await tooltip.getByText(/curve-1: /).waitFor();

    // Drag across the middle: zoomed in, then back.
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.up();
    await figure.getByRole('button', { name: 'Reset zoom' }).click();
    expect(await figure.getByRole('button', { name: 'Reset zoom' }).count()).toBe(0);

    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'curves-375');
    expect(await sidewaysOverflow(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("overlays the compared runs' ROC and precision–recall curves", async () => {
    const labels = Array.from({ length: 80 }, (_, i) => (i % 2 ? 'pos' : 'neg'));
    const ids: string[] = [];
    for (const [r, noise] of [0.2, 0.6].entries()) {
      const { id } = await post('/runs', { name: `scored-${r}` });
      const scores = labels.map((l, i) => Math.min(1, Math.max(0, (l === 'pos' ? 0.7 : 0.3) + (((i * 37) % 100) / 100 - 0.5) * noise)));
      await post(`/runs/${id}/evaluate`, { labels, predictions: scores, config: { taskType: 'classification', bootstrap: { resamples: 50 } } });
      ids.push(id);
    }
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/compare?runs=${ids.join(',')}`);
    for (const id of ['compare-roc', 'compare-pr']) {
      const chart = page.getByTestId(id);
      await chart.locator('path.recharts-line-curve').nth(1).waitFor();
      expect(await chart.locator('path.recharts-line-curve').count()).toBe(2);
    }
    await page.getByTestId('compare-roc').scrollIntoViewIfNeeded();
    await screenshot(page, 'compare-roc-pr-1280');
    expect(problems).toEqual([]);
    await page.close();
  });
});
