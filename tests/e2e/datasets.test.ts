/** Dropping a file on the Datasets page: browser preview, upload, the stored version and its page. */
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2eSession, sidewaysOverflow, screenshot, watchProblems } from './browser';

const session = e2eSession();

const V1 = 'id,height,species,measured\n1,5.1,setosa,2024-01-02\n2,4.9,setosa,2024-01-03\n3,6.3,virginica,2024-01-04\n';
const V2 = 'id,height,species,measured,weight\n1,5.1,setosa,2024-01-02,0.2\n2,4.9,setosa,2024-01-03,0.2\n3,6.3,virginica,2024-01-04,1.8\n4,7.0,versicolor,2024-01-05,1.4\n';

/** A real drop event carrying a File in a DataTransfer, as a user's drag and drop produces. */
async function dropFile(page: Page, name: string, content: string) {
  const dataTransfer = await page.evaluateHandle(
    ([fileName, text]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], fileName, { type: 'text/csv' }));
      return dt;
    },
    [name, content] as const,
  );
  await page.getByTestId('dataset-dropzone').dispatchEvent('dragover', { dataTransfer });
  await page.getByTestId('dataset-dropzone').dispatchEvent('drop', { dataTransfer });
}

describe('Datasets page', () => {
  it('previews a dropped CSV in the browser, uploads it and lists the new version with its checksum', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/datasets`);
    await page.getByText('No datasets yet.').waitFor();
    await dropFile(page, 'flowers.csv', V1);

    // Guessed types from the detector running in the browser, before anything is sent.
    const schema = page.getByTestId('schema-table');
    await schema.waitFor();
    expect(await schema.locator('tbody tr').allTextContents()).toEqual(['idinteger0', 'heightnumber0', 'speciesstring0', 'measureddate0']);
    expect(await page.getByTestId('upload-preview').locator('tbody tr').count()).toBe(3);
    expect(await page.getByLabel('Name').inputValue()).toBe('flowers');
    await page.getByLabel('Tags (comma separated)').fill('demo, iris');
    await screenshot(page, 'datasets-preview');

    await page.getByRole('button', { name: 'Upload' }).click();
    const checksum = createHash('sha256').update(V1).digest('hex');
    await page.getByTestId('upload-result').getByText(checksum.slice(0, 12)).waitFor();
    const row = page.getByTestId('datasets-table').locator('tbody tr', { hasText: 'flowers' });
    await row.waitFor();
    expect(await row.textContent()).toContain('v1');
    expect(await row.textContent()).toContain(checksum.slice(0, 12));
    await screenshot(page, 'datasets-uploaded');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a second version with its schema changes, the schema statistics and a preview on the dataset page', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/datasets`);
    await dropFile(page, 'flowers.csv', V2);
    await page.getByTestId('schema-table').waitFor();
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('upload-result').getByText('v2').waitFor();
    await page.getByTestId('datasets-table').getByRole('link', { name: 'flowers' }).click();
    await page.getByRole('heading', { name: /flowers\s*v2/ }).waitFor();

    const history = page.getByTestId('version-history');
    await history.locator('tbody tr').nth(1).waitFor();
    expect(await history.locator('tbody tr').first().textContent()).toContain('+weight');
    expect(await history.locator('tbody tr').nth(1).textContent()).toContain('first version');
    const heightRow = page.getByTestId('schema-table').locator('tbody tr', { hasText: 'height' });
    expect(await heightRow.locator('td').allTextContents()).toEqual(['height', 'number', '0', '4', '4.9', '7', '5.825', expect.any(String), expect.any(String)]);
    await page.getByTestId('dataset-preview').locator('tbody tr').nth(3).waitFor();
    await page.reload(); // a deep link to the dataset page
    await page.getByTestId('schema-table').waitFor();
    await screenshot(page, 'dataset-detail');
    const download = page.getByRole('link', { name: /Download flowers.csv/ });
    const res = await fetch(new URL((await download.getAttribute('href'))!, session.server.url));
    expect(await res.text()).toBe(V2);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('says inline why a file cannot be previewed, and the page fits 375 px', async () => {
    const page = await session.browser.newPage({ viewport: { width: 375, height: 800 } });
    await page.goto(`${session.server.url}/modellab/datasets`);
    await dropFile(page, 'book.xlsx', 'PK');
    await page.getByRole('alert').getByText(/not a supported dataset file/).waitFor();
    expect(await sidewaysOverflow(page)).toEqual([]);
    await screenshot(page, 'narrow-datasets-error');
    await page.close();
  });
});
