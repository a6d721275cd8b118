/**
 * Dark mode: the page follows the system's colour scheme, the header's toggle moves through system,
 * light and dark, and the choice survives a reload. Screenshots of the busiest pages in dark.
 */
import { describe, expect, it } from 'vitest';
import { e2eSession, screenshot, sidewaysOverflow, watchProblems } from './browser';

const session = e2eSession();
const post = async (path: string, body: unknown) =>
  (await fetch(`${session.server.url}/api/modellab${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<{ id: string }>;

describe('dark mode', () => {
  it('follows the system, toggles light and dark, and remembers the choice', async () => {
    const labels = ['cat', 'dog', 'cat', 'dog', 'cat', 'dog', 'dog', 'cat'];
    const runs: string[] = [];
    for (const [i, wrong] of [1, 3].entries()) {
      const { id } = await post('/runs', { name: `dark-${i}`, hyperparameters: { lr: 0.1 / (i + 1) } });
      await post(`/runs/${id}/metrics`, { metrics: Array.from({ length: 20 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1 + i), step })) });
      await post(`/runs/${id}/evaluate`, { labels, predictions: labels.map((l, j) => (j < wrong ? (l === 'cat' ? 'dog' : 'cat') : l)), config: { taskType: 'classification', bootstrap: { resamples: 50 } } });
      runs.push(id);
    }
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    const problems = watchProblems(page);
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.goto(`${session.server.url}/modellab/runs`);
    await page.getByTestId('runs-total').waitFor();
    expect(await background()).toBe('rgb(15, 17, 23)');
    const toggle = page.getByRole('button', { name: /^Theme: / });
    expect(await toggle.textContent()).toContain('system');
    await screenshot(page, 'dark-runs-1280');
    await toggle.click();
    expect(await toggle.textContent()).toContain('light');
    expect(await background()).toBe('rgb(246, 247, 251)');
    await toggle.click();
    expect(await toggle.textContent()).toContain('dark');
    await page.reload();
    await page.getByTestId('runs-total').waitFor();
    expect(await background()).toBe('rgb(15, 17, 23)');
    expect(await page.getByRole('button', { name: /^Theme: / }).textContent()).toContain('dark');

    await page.goto(`${session.server.url}/modellab/runs/${runs[0]}`);
    await page.getByRole('heading', { name: /dark-0/ }).waitFor();
    await page.waitForTimeout(500);
    await screenshot(page, 'dark-run-1280');
    await page.goto(`${session.server.url}/modellab/compare?runs=${runs.join(',')}`);
    await page.getByTestId('compare-metrics').waitFor();
    await screenshot(page, 'dark-compare-1280');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'dark-compare-375');
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.goto(`${session.server.url}/modellab/`);
    await page.waitForTimeout(500);
    await screenshot(page, 'dark-dashboard-375');
    expect(problems).toEqual([]);
    await page.close();
  });
});
