/**
 * The model registry in the browser: a model logged by a run through MLflow 3's calls is registered
 * from the run's Models tab, the champion alias is moved on the model page, and the Models page,
 * open in a second tab, shows each change live. Then two evaluated versions are diffed.
 */
import { describe, expect, it } from 'vitest';
import { e2eSession, screenshot, sidewaysOverflow, watchProblems } from './browser';

const session = e2eSession();

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${session.server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return (res.status === 204 ? {} : await res.json()) as Record<string, any>;
};

/** A run that logged a model the way mlflow.sklearn.log_model does, evaluated on the same examples as its siblings. */
async function runWithModel(name: string, predictions: string[], labels: string[], lr: number) {
  const { run } = await call('POST', '/api/2.0/mlflow/runs/create', { experiment_id: '0', run_name: name, start_time: Date.now() });
  const runId = run.info.run_id as string;
  await call('POST', '/api/2.0/mlflow/runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: String(lr) }] });
  const { model } = await call('POST', '/api/2.0/mlflow/logged-models', { experiment_id: '0', name: 'model', source_run_id: runId });
  const modelId = model.info.model_id as string;
  for (const [file, text] of [
    ['MLmodel', 'flavors:\n  sklearn: {}\n'],
    ['model.pkl', 'pickle-bytes'],
    ['requirements.txt', 'scikit-learn==1.5.0\n'],
  ]) {
    const res = await fetch(`${session.server.url}/api/2.0/mlflow-artifacts/artifacts/0/models/${modelId}/artifacts/${file}`, { method: 'PUT', body: text });
    expect(res.status).toBe(200);
  }
  await call('POST', '/api/2.0/mlflow/runs/outputs', { run_id: runId, models: [{ model_id: modelId, step: 0 }] });
  await call('PATCH', `/api/2.0/mlflow/logged-models/${modelId}`, { model_id: modelId, status: 'LOGGED_MODEL_READY' });
  await call('POST', `/api/modellab/runs/${runId}/evaluate`, { predictions, labels, config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 200, seed: 3 } } });
  return { runId, modelId };
}

describe('the model registry in the UI', () => {
  it('registers a model from a run, moves the champion alias, sees both live on the Models page, and diffs two versions', async () => {
    const labels = Array.from({ length: 80 }, (_, i) => (i % 2 ? 'a' : 'b'));
    const first = await runWithModel('rf-baseline', labels.map((l, i) => (i % 4 === 0 ? (l === 'a' ? 'b' : 'a') : l)), labels, 0.1);
    const second = await runWithModel('rf-tuned', labels.map((l, i) => (i % 20 === 0 ? (l === 'a' ? 'b' : 'a') : l)), labels, 0.01);

    const models = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(models);
    await models.goto(`${session.server.url}/modellab/models`);
    await models.getByText('No registered models yet', { exact: false }).waitFor();

    // Register the first run's model from its Models tab: the registered model is created on the way.
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems.push(...watchProblems(page));
    await page.goto(`${session.server.url}/modellab/runs/${first.runId}`);
    await page.getByRole('tab', { name: 'Models' }).click();
    const card = page.getByTestId('logged-model-model');
    await card.getByRole('link', { name: 'model.pkl' }).waitFor();
    await card.getByLabel('Registered model name').fill('churn');
    await card.getByRole('button', { name: 'Register' }).click();
    await card.getByRole('status').getByRole('link', { name: 'churn v1' }).waitFor();
    await screenshot(page, 'run-models-tab');
    // It appears on the open Models page without a reload.
    await models.getByTestId('model-row-churn').waitFor({ timeout: 10_000 });

    // The second run's model, registered from its tab into the existing model.
    await page.goto(`${session.server.url}/modellab/runs/${second.runId}`);
    await page.getByRole('tab', { name: 'Models' }).click();
    await page.getByTestId('logged-model-model').getByLabel('Registered model name').fill('churn');
    await page.getByTestId('logged-model-model').getByRole('button', { name: 'Register' }).click();
    await page.getByRole('link', { name: 'churn v2' }).first().waitFor();

    // The model page: set champion on v1, then move it to v2.
    await page.goto(`${session.server.url}/modellab/models/churn`);
    await page.getByTestId('version-row-2').waitFor();
    const aliasForm = page.getByTestId('alias-form');
    await aliasForm.getByLabel('Alias name').fill('champion');
    await aliasForm.getByLabel('Alias version').selectOption('1');
    await aliasForm.getByRole('button', { name: 'Set alias' }).click();
    await page.getByTestId('version-row-1').getByTestId('alias-champion').waitFor();
    await expect.poll(() => models.getByTestId('model-row-churn').textContent(), { timeout: 10_000 }).toContain('@champion → v1');
    await aliasForm.getByLabel('Alias version').selectOption('2');
    await aliasForm.getByRole('button', { name: 'Move alias' }).click();
    await page.getByTestId('version-row-2').getByTestId('alias-champion').waitFor();
    expect(await page.getByTestId('version-row-1').getByTestId('alias-champion').count()).toBe(0);
    await expect.poll(() => models.getByTestId('model-row-churn').textContent(), { timeout: 10_000 }).toContain('@champion → v2');
    // The versions show their runs, with the evaluated accuracy and its interval.
    const row1 = await page.getByTestId('version-row-1').textContent();
    expect(row1).toContain('rf-baseline');
    expect(row1).toMatch(/accuracy 0\.75 \[0\.\d+, 0\.\d+\]/);

    // Diff v1 and v2: paired significance (same examples) and the config change.
    await page.getByLabel('Pick v1 for the diff').check();
    await page.getByLabel('Pick v2 for the diff').check();
    await page.getByRole('button', { name: 'Diff v1 and v2' }).click();
    const diff = page.getByTestId('version-diff');
    await diff.waitFor();
    const accuracy = diff.locator('tr', { hasText: /^accuracy/ });
    expect(await accuracy.textContent()).toContain('mcnemar-exact');
    expect(await accuracy.textContent()).toContain('(significant)');
    expect(await page.getByTestId('config-diff').textContent()).toContain('params.lr');
    expect(page.url()).toContain('a=1&b=2');
    await screenshot(page, 'model-detail-1280');
    await screenshot(models, 'models-1280');
    expect(problems).toEqual([]);

    for (const p of [page, models]) {
      await p.setViewportSize({ width: 375, height: 800 });
      expect(await sidewaysOverflow(p)).toEqual([]);
    }
    await screenshot(page, 'model-detail-375');
    await screenshot(models, 'models-375');
    await page.close();
    await models.close();
  });
});
