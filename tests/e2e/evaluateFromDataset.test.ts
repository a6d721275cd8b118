/**
 * Evaluate from a dataset in the browser: on a run's Evaluation tab, pick a dataset version, map the
 * label, prediction and slice columns, evaluate; a wrong mapping says why; the evaluation then shows.
 */
import { describe, expect, it } from 'vitest';
import { e2eSession, screenshot, sidewaysOverflow, watchProblems } from './browser';

const session = e2eSession();

describe('evaluate from a dataset', () => {
  it('maps the columns of an uploaded version and evaluates the run from it', async () => {
    const base = `${session.server.url}/api/modellab`;
    const csv = ['label,pred,score,region', ...Array.from({ length: 40 }, (_, i) => `${i % 3 ? 'cat' : 'dog'},${i % 4 ? (i % 3 ? 'cat' : 'dog') : 'cat'},${(i % 10) / 10},${i % 2 ? 'north' : 'south'}`)].join('\n');
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'holdout.csv');
    await fetch(`${base}/datasets`, { method: 'POST', body: form });
    const run = (await (await fetch(`${base}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"eval-from-file"}' })).json()) as { id: string };

    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs/${run.id}`);
    await page.getByRole('tab', { name: 'Evaluation' }).click();
    const mapping = page.getByRole('form', { name: 'Evaluate from a dataset' });
    await mapping.getByLabel('Dataset version').selectOption({ label: 'holdout v1 (40 rows)' });
    await mapping.getByLabel('Label column').selectOption('label');
    // A score column that holds text: the server says so before any work.
    await mapping.getByLabel('Predictions are').selectOption('score');
    await mapping.getByLabel('Prediction column').selectOption('region');
    await mapping.getByRole('button', { name: 'Evaluate' }).click();
    await mapping.getByRole('alert').getByText(/'region' holds string values; a score is a number/).waitFor();

    await mapping.getByLabel('Predictions are').selectOption('prediction');
    await mapping.getByLabel('Prediction column').selectOption('pred');
    await mapping.getByLabel('region').check();
    await screenshot(page, 'evaluate-from-dataset-1280');
    await mapping.getByRole('button', { name: 'Evaluate' }).click();
    await page.getByText('accuracy').first().waitFor();
    const stored = (await (await fetch(`${base}/runs/${run.id}/evaluation`)).json()) as { metrics: { n: number }; slices: { slices: unknown[] } };
    expect(stored.metrics.n).toBe(40);
    expect(stored.slices.slices).toHaveLength(2);
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await sidewaysOverflow(page)).toEqual([]);
    expect(problems.filter((p) => !/^HTTP 400: .*\/evaluate$|status of 400/.test(p))).toEqual([]); // the refused mapping's 400 is expected
    await page.close();
  });
});
