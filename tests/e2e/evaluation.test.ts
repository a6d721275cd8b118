/** The Evaluation tab: evaluate from a JSON file, then metrics with CIs, the confusion matrix, a flagged slice, failures. */
import { describe, expect, it } from 'vitest';
import { e2eSession, sidewaysOverflow, screenshot, watchProblems } from './browser';

const session = e2eSession();

describe('Evaluation tab', () => {
  it('evaluates a request file and shows metrics with CIs, the confusion matrix, slices and failures', async () => {
    const run = (await (
      await fetch(`${session.server.url}/api/modellab/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"evaluated"}' })
    ).json()) as { id: string };
    const n = 200;
    const labels = Array.from({ length: n }, (_, i) => (i % 2 ? 'pos' : 'neg'));
    const data = labels.map((_, i) => ({ region: i % 4 === 0 ? 'north' : 'south' }));
    const predictions = labels.map((l, i) => (data[i]!.region === 'north' ? (l === 'pos' ? 0.1 : 0.9) : l === 'pos' ? 0.8 : 0.2));
    const request = { labels, predictions, data, config: { taskType: 'classification', classes: ['neg', 'pos'], sliceAttributes: ['region'], bootstrap: { resamples: 200 } } };

    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs/${run.id}`);
    await page.getByRole('tab', { name: 'Evaluation' }).click();
    await page.getByText('Not evaluated yet.').waitFor();
    await page.getByLabel('Evaluation request file').setInputFiles({ name: 'request.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(request)) });
    const metrics = page.getByTestId('evaluation-metrics');
    await metrics.waitFor();
    expect(await metrics.locator('tr', { hasText: /^accuracy/ }).locator('td').nth(1).textContent()).toBe('0.75');
    expect(await page.getByTestId('confusion-matrix').locator('tbody tr').first().textContent()).toBe('neg5050'); // the 50 neg in the north are all predicted pos
    const north = page.getByTestId('evaluation-slices').locator('tr', { hasText: 'region = north' });
    expect(await north.getAttribute('data-worse')).toBe('true');
    expect(await page.getByTestId('evaluation-failures').locator('tbody tr').count()).toBe(50);
    // The curves of the scores: ROC, precision–recall, reliability with its calibration error.
    for (const id of ['roc-curve', 'pr-curve', 'calibration-curve']) await page.getByTestId(id).locator('path.recharts-line-curve').first().waitFor();
    // Scores (P(pos)): 50 north negatives at 0.9, 50 south negatives at 0.2, 100 south positives at 0.8:
    // ECE = ¼·|0 − 0.9| + ¼·|0 − 0.2| + ½·|1 − 0.8| = 0.225 + 0.05 + 0.1 = 0.375.
    expect(await page.getByTestId('ece').textContent()).toBe('0.375');
    await screenshot(page, 'evaluation-tab');
    const report = await fetch(new URL((await page.getByRole('link', { name: 'Markdown' }).getAttribute('href'))!, session.server.url));
    expect(await report.text()).toContain('| accuracy | 0.75 |');
    expect(problems).toEqual([]);
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.close();
  });
});
