/** A run logged through MLflow's REST API appears live in ModelLab's UI, filed under its experiment. */
import { describe, expect, it } from 'vitest';
import { e2eSession, screenshot, sidewaysOverflow, watchProblems } from './browser';

const session = e2eSession();

const mlflow = async (path: string, body: unknown) => {
  const res = await fetch(`${session.server.url}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return res.json() as Promise<Record<string, any>>;
};

describe('MLflow clients and the UI', () => {
  it('shows a run logged through MLflow live on the Runs page, under its experiment, with its params and metrics', async () => {
    const { experiment_id } = await mlflow('experiments/create', { name: 'mnist' });
    await mlflow('runs/create', { experiment_id: '0', run_name: 'in-default', start_time: Date.now() });

    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs`);
    await page.getByTestId('runs-table').getByText('in-default').waitFor();

    // A training script starts logging while the page is open.
    const { run } = await mlflow('runs/create', { experiment_id, run_name: 'cnn-from-mlflow', start_time: Date.now(), tags: [{ key: 'mlflow.user', value: 'ana' }] });
    const run_id = run.info.run_id as string;
    await mlflow('runs/log-batch', { run_id, params: [{ key: 'lr', value: '0.001' }], metrics: [{ key: 'loss', value: 0.7, timestamp: Date.now(), step: 0 }] });
    await page.getByTestId('runs-table').getByText('cnn-from-mlflow').waitFor({ timeout: 10_000 });

    // The experiment selector narrows the list to that experiment.
    const picker = page.getByLabel('Experiment');
    await expect.poll(() => picker.locator('option').allTextContents(), { timeout: 10_000 }).toEqual(['All experiments', 'Default (1)', 'mnist (1)']);
    await picker.selectOption({ label: 'mnist (1)' });
    await expect.poll(() => page.getByTestId('runs-total').textContent()).toBe('1 run(s)');
    expect(page.url()).toContain(`experiment=${experiment_id}`);
    await screenshot(page, 'runs-experiment-mlflow');

    // The run page: its experiment, status from MLflow, and the metric as it grows.
    await page.getByTestId('runs-table').getByText('cnn-from-mlflow').click();
    await page.getByRole('heading', { name: 'cnn-from-mlflow' }).waitFor();
    await page.getByRole('link', { name: 'mnist' }).waitFor();
    await mlflow('runs/log-metric', { run_id, key: 'loss', value: 0.3, timestamp: Date.now(), step: 1 });
    // A diverged step, as MLflow's client sends it: kept, counted under the chart, not drawn.
    await mlflow('runs/log-metric', { run_id, key: 'loss', value: 'NaN', timestamp: Date.now(), step: 2 });
    await mlflow('runs/update', { run_id, status: 'FINISHED', end_time: Date.now() });
    await page.getByText('completed', { exact: true }).first().waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('metric-nonfinite-loss').textContent(), { timeout: 10_000 }).toContain('1 NaN or infinite, not drawn');
    expect(await page.getByTestId('metric-chart-loss').textContent()).toContain('last NaN');
    expect(await page.getByTestId('metric-count-loss').textContent()).toBe('3');
    await screenshot(page, 'run-from-mlflow');
    expect(problems).toEqual([]);
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.close();
  });
});
