/** A run stored with hyperparameters nested 1,000 levels (before the API's 32-level limit) still opens: the tree stops and says so. */
import { describe, expect, it } from 'vitest';
import { JsonStore } from '../../api/storage/json/jsonStore';
import { makeRun } from '../helpers/fixtures';
import { e2eSession, screenshot, sidewaysOverflow, watchProblems } from './browser';

let runId = '';
const session = e2eSession({
  prepare: async (dataDir) => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 1000; i++) deep = { level: deep };
    const store = await JsonStore.open(dataDir, { log: () => {} });
    runId = (await store.createRun({ ...makeRun({ name: 'deep-legacy' }), hyperparameters: { lr: 0.1, deep, list: [[[[[[[[[[[1]]]]]]]]]]] } })).id;
    await store.close();
  },
});

describe('deeply nested stored values', () => {
  for (const width of [1280, 375]) {
    it(`render on the run page at ${width} px, the tree stopping at its depth with a note`, async () => {
      const page = await session.browser.newPage({ viewport: { width, height: 900 } });
      const problems = watchProblems(page);
      await page.goto(`${session.server.url}/modellab/runs/${runId}`);
      await page.getByRole('heading', { name: /deep-legacy/ }).waitFor();
      await page.getByTestId('tree-depth-note').waitFor();
      expect(await page.getByTestId('tree-depth-note').textContent()).toMatch(/deeper than 10 levels: not shown here/);
      expect(await page.getByText('lr:').count()).toBe(1);
      expect(await page.getByText('[[[[[[[[[…]]]]]]]]]').count()).toBe(1); // an array leaf, shortened past 8 levels
      expect(await sidewaysOverflow(page)).toEqual([]);
      await screenshot(page, `run-deep-values-${width}`);
      expect(problems).toEqual([]);
      await page.close();
    });
  }
});
