/** Compare two evaluated runs: a significant difference is marked, the radar chart is drawn. */
import { describe, expect, it } from 'vitest';
import { e2eSession, sidewaysOverflow, screenshot, watchProblems } from './browser';

const session = e2eSession();

async function evaluatedRun(name: string, predictions: string[], labels: string[], lr: number) {
  const post = (path: string, body: unknown) =>
    fetch(`${session.server.url}/api/modellab${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ id: string }>);
  const run = await post('/runs', { name, hyperparameters: { lr } });
  const data = labels.map((_, i) => ({ region: i % 2 ? 'east' : 'west' }));
  await post(`/runs/${run.id}/evaluate`, { labels, predictions, data, config: { taskType: 'classification', classes: ['neg', 'pos'], sliceAttributes: ['region'], bootstrap: { resamples: 300 } } });
  return run.id;
}

describe('Compare page', () => {
  it('marks a significant accuracy gain, draws the radar, and survives a reload of the shared URL', async () => {
    const n = 240;
    const labels = Array.from({ length: n }, (_, i) => (i % 3 ? 'pos' : 'neg'));
    const flip = (l: string) => (l === 'pos' ? 'neg' : 'pos');
    const base = labels.map((l, i) => (i % 6 === 0 ? flip(l) : l)); // 40 errors
    const better = base.map((p, i) => (i % 6 === 0 && i < 20 * 6 ? labels[i]! : p)); // 20 fixed
    const a = await evaluatedRun('baseline-model', base, labels, 0.1);
    const b = await evaluatedRun('improved-model', better, labels, 0.01);

    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/compare?runs=${a},${b}`);
    const table = page.getByTestId('compare-metrics');
    await table.waitFor();
    const accuracyDiff = table.locator('tr', { hasText: /^accuracy/ }).locator('[data-significant]');
    expect(await accuracyDiff.getAttribute('data-significant')).toBe('true');
    expect(await accuracyDiff.textContent()).toBe('+0.0833333 *');
    expect(await accuracyDiff.getAttribute('title')).toMatch(/^mcnemar-exact: p = /);
    await page.getByTestId('compare-radar').locator('.recharts-polar-grid').waitFor();
    expect(await page.getByTestId('compare-radar').locator('.recharts-radar').count()).toBe(2);
    await page.getByTestId('compare-slice-chart').locator('.recharts-bar-rectangle').first().waitFor();
    expect(await page.getByTestId('compare-slices').locator('tbody tr').count()).toBe(2);
    await page.reload();
    await table.waitFor();
    await screenshot(page, 'compare-evaluated');
    expect(problems).toEqual([]);
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await sidewaysOverflow(page)).toEqual([]);
    await screenshot(page, 'compare-narrow');
    await page.close();
  });
});
