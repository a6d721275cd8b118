/** The Artifacts tab: drop a PNG, see it previewed and in the plots gallery; JSON and CSV previews. */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2eSession, sidewaysOverflow, screenshot, watchProblems } from './browser';

const session = e2eSession();

// A 4×4 PNG (red square), made once with a PNG encoder and embedded here.
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAFElEQVR4nGP4z8CAB+GTG8HSALfKY52fTcuYAAAAAElFTkSuQmCC';

async function dropFile(page: Page, name: string, base64: string, type: string) {
  const dataTransfer = await page.evaluateHandle(
    ([fileName, data, mime]) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], fileName, { type: mime }));
      return dt;
    },
    [name, base64, type] as const,
  );
  await page.getByTestId('artifact-dropzone').dispatchEvent('drop', { dataTransfer });
}

describe('Artifacts tab', () => {
  it('uploads a dropped PNG to plots, previews it and shows it in the gallery; previews JSON and CSV', async () => {
    const run = (await (
      await fetch(`${session.server.url}/api/modellab/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"with-artifacts"}' })
    ).json()) as { id: string };
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs/${run.id}`);
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByText('No artifacts yet.').waitFor();

    await dropFile(page, 'loss-curve.png', PNG_BASE64, 'image/png');
    expect(await page.getByLabel('Category').inputValue()).toBe('plots');
    await page.getByRole('button', { name: 'Upload' }).click();
    const preview = page.getByTestId('artifact-preview-image');
    await preview.waitFor();
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(4);
    await page.getByTestId('plots-gallery').getByRole('img', { name: 'plots/loss-curve.png' }).waitFor();
    expect(await page.getByTestId('artifacts-plots').textContent()).toContain('loss-curve.png');

    await dropFile(page, 'metrics.json', btoa('{"accuracy": 0.93, "per_class": {"cat": 0.9}}'), 'application/json');
    expect(await page.getByLabel('Category').inputValue()).toBe('evaluations');
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('artifacts-evaluations').getByRole('button', { name: 'preview' }).click();
    await page.getByTestId('artifact-preview').getByText('per_class').waitFor();

    await dropFile(page, 'predictions.csv', btoa('id,label\n1,cat\n2,dog\n'), 'text/csv');
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('artifacts-other').getByRole('button', { name: 'preview' }).click();
    await expect.poll(() => page.getByTestId('artifact-preview-csv').locator('tbody tr').count()).toBe(2);
    await screenshot(page, 'artifacts-tab');

    // Uploading the same name again asks before replacing.
    await dropFile(page, 'loss-curve.png', PNG_BASE64, 'image/png');
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('alert').getByText(/already exists/).waitFor();
    await page.getByRole('button', { name: 'Replace it' }).click();
    await expect.poll(() => page.getByRole('alert').count()).toBe(0);

    await page.getByTestId('artifacts-plots').getByRole('button', { name: 'delete' }).click();
    await page.getByTestId('artifacts-plots').getByRole('button', { name: 'yes, delete' }).click();
    await expect.poll(() => page.getByTestId('artifacts-plots').count()).toBe(0);
    expect(problems).toEqual([]);

    await page.setViewportSize({ width: 375, height: 800 });
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.close();
  });
});
