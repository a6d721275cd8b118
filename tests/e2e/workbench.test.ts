/**
 * The runs table as a workbench (issue 19): checkboxes with shift-range select → Compare with the
 * selected runs; tag and delete the selection in one request each; select every matching run; the
 * chosen columns survive a reload (they are in the URL); the export link carries the view.
 */
import { describe, expect, it } from 'vitest';
import { e2eSession, screenshot, sidewaysOverflow, watchProblems } from './browser';

const session = e2eSession();
const api = async (method: string, path: string, body?: unknown) =>
  (await fetch(`${session.server.url}/api/modellab${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) })).json() as Promise<Record<string, unknown>>;

describe('the runs workbench', () => {
  it('selects a range, compares it, tags and deletes in bulk, selects all matching, keeps its columns in the URL', async () => {
    const { id: experimentId } = (await api('POST', '/experiments', { name: 'bench-sweep' })) as { id: string };
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(((await api('POST', '/runs', { name: `sweep-${String(i).padStart(2, '0')}`, experimentId, hyperparameters: { lr: i / 100 }, metrics: { acc: i / 12 } })) as { id: string }).id);
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${session.server.url}/modellab/runs?experiment=${experimentId}&sort=name:asc`);
    await page.getByTestId('runs-total').getByText('12 run(s)').waitFor();

    // Shift-click selects the range between two picks.
    await page.getByLabel('Select sweep-00').click();
    await page.getByLabel('Select sweep-02').click({ modifiers: ['Shift'] });
    await page.getByTestId('selected-count').getByText('3 selected').waitFor();
    expect(await page.getByLabel('Select sweep-01').isChecked()).toBe(true);
    await screenshot(page, 'workbench-selected-1280');
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.getByRole('region', { name: 'Selected runs' }).getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL((url) => url.pathname === '/modellab/compare');
    expect(new URL(page.url()).searchParams.get('runs')!.split(',').sort()).toEqual(ids.slice(0, 3).sort());
    await page.goBack();
    await page.getByTestId('runs-total').getByText('12 run(s)').waitFor();

    // Tag two runs in one request.
    await page.getByLabel('Select sweep-05').click();
    await page.getByLabel('Select sweep-06').click();
    await page.getByLabel('Tag', { exact: true }).fill('keep=yes');
    await page.getByRole('button', { name: 'Tag', exact: true }).click();
    await expect.poll(async () => ((await api('GET', `/runs/${ids[6]}`)) as { tags: Record<string, string> }).tags.keep).toBe('yes');
    expect(((await api('GET', `/runs/${ids[5]}`)) as { tags: Record<string, string> }).tags.keep).toBe('yes');

    // Delete them (the dialog accepted): the table shows the rest.
    await page.getByRole('region', { name: 'Selected runs' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('runs-total').getByText('10 run(s)').waitFor();
    expect(await page.getByText('sweep-05').count()).toBe(0);

    // The header checkbox selects the loaded rows; then every matching run.
    await page.getByLabel('Select the loaded runs').check();
    await page.getByTestId('selected-count').getByText('10 selected').waitFor();
    await page.getByText('Compare takes up to 10 runs').count();
    await page.getByRole('button', { name: 'Clear' }).click();
    expect(await page.getByTestId('selected-count').count()).toBe(0);

    // Columns in the URL: a parameter column survives a reload.
    await page.getByText('Columns').click();
    await page.getByRole('checkbox', { name: 'lr' }).click(); // checked once the URL has it (the box follows the URL)
    await page.waitForURL((url) => (url.searchParams.get('columns') ?? '').includes('params.lr'));
    await expect.poll(() => page.getByRole('checkbox', { name: 'lr' }).isChecked()).toBe(true);
    await page.reload();
    await page.getByRole('columnheader', { name: 'lr' }).waitFor();
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    const exportUrl = new URL(href!, session.server.url);
    expect(exportUrl.searchParams.get('experimentId')).toBe(experimentId);
    expect(exportUrl.searchParams.get('columns')).toContain('params.lr');
    const csv = await (await fetch(exportUrl)).text();
    expect(csv.trim().split('\n')).toHaveLength(11);

    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByLabel('Select sweep-03').click();
    await screenshot(page, 'workbench-selected-375');
    expect(await sidewaysOverflow(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a metric’s smallest value as a column sorted on the server, moves and resizes columns, and restores them from the URL', async () => {
    const { id: experimentId } = (await api('POST', '/experiments', { name: 'curves-sweep' })) as { id: string };
    // Latest loss and smallest loss order the runs differently: by latest c, b, a; by smallest a, c, b.
    for (const [name, losses] of [['run-a', [0.9, 0.1, 0.8]], ['run-b', [0.6, 0.5]], ['run-c', [0.7, 0.3, 0.2]]] as const) {
      const { id } = (await api('POST', '/runs', { name, experimentId })) as { id: string };
      await api('POST', `/runs/${id}/metrics`, { metrics: losses.map((value) => ({ key: 'loss', value })) });
    }
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs?experiment=${experimentId}`);
    await page.getByTestId('runs-total').getByText('3 run(s)').waitFor();
    const names = () => page.getByTestId('run-row').locator('[role=cell] a').allTextContents();
    const headers = () => page.getByRole('columnheader').allTextContents();

    await page.getByText('Columns').click();
    await page.getByRole('group', { name: 'Metric loss' }).getByRole('checkbox', { name: 'min' }).click(); // checked once the URL has it
    await page.waitForURL((url) => (url.searchParams.get('columns') ?? '').split(',').includes('metrics.loss.min'));
    await page.getByText('Columns').click(); // closed: it lies over the headers
    await page.getByRole('columnheader', { name: 'loss (min)' }).getByRole('button').click();
    await page.waitForURL((url) => url.searchParams.get('sort') === 'metrics.loss.min:desc');
    await expect.poll(names).toEqual(['run-b', 'run-c', 'run-a']);
    await page.getByRole('columnheader', { name: 'loss (min)' }).getByRole('button').click();
    await expect.poll(names).toEqual(['run-a', 'run-c', 'run-b']);
    expect(await page.getByTestId('run-row').first().getByRole('cell').allTextContents()).toContain('0.1');

    // Move it two places left in the chooser: the URL and the headers follow.
    await page.getByText('Columns').click();
    await page.getByRole('button', { name: 'Move loss (min) left' }).click();
    await page.getByRole('button', { name: 'Move loss (min) left' }).click();
    await expect.poll(async () => (await headers()).slice(1, 7).map((h) => h.trim())).toEqual(['Name', 'Status', 'Created', 'Seed', 'loss (min) ▲', 'Commit']);
    expect(new URL(page.url()).searchParams.get('columns')).toBe('name,status,createdAt,seed,metrics.loss.min,gitCommit,metrics.loss');
    await screenshot(page, 'workbench-chooser-1280');
    await page.getByText('Columns').click(); // closed

    // Drag the name column's edge 80 px right: kept in the URL when let go.
    const nameHeader = page.getByRole('columnheader', { name: 'Name' });
    const before = (await nameHeader.boundingBox())!.width;
    const handle = (await page.getByRole('separator', { name: 'Resize Name' }).boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 + 40, handle.y + 5, { steps: 4 });
    await page.mouse.move(handle.x + handle.width / 2 + 80, handle.y + 5, { steps: 4 });
    await page.mouse.up();
    await page.waitForURL((url) => (url.searchParams.get('widths') ?? '').startsWith('name:'));
    const width = Number(new URL(page.url()).searchParams.get('widths')!.split(':')[1]);
    expect(width).toBeGreaterThanOrEqual(before + 75);
    expect(width).toBeLessThanOrEqual(before + 85);

    // The whole view comes back from its URL.
    await page.reload();
    await page.getByTestId('runs-total').getByText('3 run(s)').waitFor();
    await expect.poll(async () => Math.round((await nameHeader.boundingBox())!.width)).toBe(width);
    await expect.poll(names).toEqual(['run-a', 'run-c', 'run-b']);
    expect((await headers())[5]!.trim()).toBe('loss (min) ▲');
    await screenshot(page, 'workbench-columns-1280');
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'workbench-columns-375');
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.getByText('Columns').click();
    await page.getByRole('button', { name: 'Move Status right' }).waitFor();
    const chooser = (await page.getByRole('list', { name: 'Columns shown' }).boundingBox())!;
    expect(chooser.x).toBeGreaterThanOrEqual(0);
    expect(chooser.x + chooser.width).toBeLessThanOrEqual(375);
    await screenshot(page, 'workbench-chooser-375');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('selects every run the search matches, beyond the loaded page, and deletes them in one request', async () => {
    const { id: experimentId } = (await api('POST', '/experiments', { name: 'big-sweep' })) as { id: string };
    for (let i = 0; i < 260; i++) await api('POST', '/runs', { name: `big-${i}`, experimentId });
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${session.server.url}/modellab/runs?experiment=${experimentId}`);
    await page.getByTestId('runs-total').getByText('260 run(s)').waitFor();
    await page.getByLabel('Select the loaded runs').check();
    await page.getByRole('button', { name: 'Select all 260 matching' }).click();
    await page.getByTestId('selected-count').getByText('260 selected').waitFor();
    await page.getByRole('region', { name: 'Selected runs' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No runs match.').waitFor();
    expect(((await api('GET', `/runs?experimentId=${experimentId}&count=true`)) as { total: number }).total).toBe(0);
    await page.close();
  });

  it('saves the current view under a name and restores it from the list, which rewrites the URL', async () => {
    const { id: experimentId } = (await api('POST', '/experiments', { name: 'viewed-sweep' })) as { id: string };
    for (let i = 0; i < 6; i++) await api('POST', '/runs', { name: `v-${i}`, experimentId, hyperparameters: { lr: i / 10 }, metrics: { acc: i / 6 } });
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs?experiment=${experimentId}&filter=${encodeURIComponent('metrics.acc > 0.5')}&sort=name:desc&columns=params.lr`);
    await page.getByTestId('runs-total').getByText('2 run(s)').waitFor();
    await page.getByLabel('View name').fill('top acc');
    await page.getByRole('button', { name: 'Save view' }).click();
    await expect.poll(() => page.getByLabel('Saved view').inputValue()).toBe('top acc');
    // Somewhere else, then back through the list.
    await page.goto(`${session.server.url}/modellab/runs?experiment=${experimentId}`);
    await page.getByTestId('runs-total').getByText('6 run(s)').waitFor();
    await page.getByLabel('Saved view').selectOption('top acc');
    await page.getByTestId('runs-total').getByText('2 run(s)').waitFor();
    const url = new URL(page.url());
    expect([url.searchParams.get('filter'), url.searchParams.get('sort'), url.searchParams.get('columns')]).toEqual(['metrics.acc > 0.5', 'name:desc', 'params.lr']);
    await page.getByRole('columnheader', { name: 'lr' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Filter' }).inputValue()).toBe('metrics.acc > 0.5');
    await screenshot(page, 'workbench-views-1280');
    await page.getByRole('button', { name: 'Delete view' }).click();
    await expect.poll(async () => ((await api('GET', `/experiments/${experimentId}`)) as { tags: Record<string, string> }).tags['modellab.view.top acc']).toBeUndefined();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('groups the runs that differ only in seed, and compares two configurations across their seeds', async () => {
    const { id: experimentId } = (await api('POST', '/experiments', { name: 'seeded-sweep' })) as { id: string };
    for (const [lr, accs] of [[0.1, [0.8, 0.82, 0.81]], [0.3, [0.9, 0.91]]] as const) {
      for (const [seed, acc] of accs.entries()) await api('POST', '/runs', { name: `lr${lr}-s${seed}`, experimentId, seed, hyperparameters: { lr, seed }, metrics: { acc } });
    }
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs?experiment=${experimentId}`);
    await page.getByTestId('runs-total').getByText('5 run(s)').waitFor();
    await page.getByLabel('Group runs').selectOption('seed-free');
    const groups = page.getByTestId('run-groups');
    await groups.getByText('2 group(s) of 5 run(s)', { exact: false }).waitFor();
    expect(new URL(page.url()).searchParams.get('group')).toBe('seed-free');
    await groups.getByRole('cell', { name: 'lr=0.1', exact: true }).waitFor();
    await page.getByLabel('Pick lr=0.1').check();
    await page.getByLabel('Pick lr=0.3').check();
    await page.getByRole('button', { name: 'Compare the two groups' }).click();
    const comparison = page.getByTestId('group-comparison');
    await comparison.getByText(/fewer than 3 seeds/).waitFor();
    await comparison.getByRole('cell', { name: 'acc', exact: true }).waitFor();
    const panelRow = await comparison.getByRole('row').filter({ hasText: 'acc' }).allTextContents();
    await screenshot(page, 'workbench-groups-1280');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'workbench-groups-375');
    expect(await sidewaysOverflow(page)).toEqual([]);

    // The Compare page takes the two groups from its URL and shows the same comparison.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('link', { name: 'Open in Compare' }).click();
    await page.waitForURL((url) => url.pathname === '/modellab/compare');
    const url = new URL(page.url());
    expect([url.searchParams.get('groupA')!.split(',').length, url.searchParams.get('groupB')!.split(',').length, url.searchParams.get('labelA'), url.searchParams.get('labelB')]).toEqual([3, 2, 'lr=0.1', 'lr=0.3']);
    const onCompare = page.getByTestId('group-comparison');
    await onCompare.getByText('lr=0.3 (n = 2) against lr=0.1 (n = 3)', { exact: false }).waitFor();
    await onCompare.getByText(/fewer than 3 seeds/).waitFor();
    expect(await onCompare.getByRole('row').filter({ hasText: 'acc' }).allTextContents()).toEqual(panelRow);
    expect(panelRow[0]).toMatch(/< 0\.0005$/); // every resampled difference above 0: p below 1 / 2,000, not 0
    await screenshot(page, 'compare-groups-1280');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'compare-groups-375');
    expect(await sidewaysOverflow(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows which parameters matter for a metric, and a scatter of one against it coloured by another', async () => {
    const { id: experimentId } = (await api('POST', '/experiments', { name: 'what-matters' })) as { id: string };
    for (let i = 0; i < 30; i++) {
      const lr = (i % 10) / 10;
      await api('POST', '/runs', { name: `wm-${i}`, experimentId, hyperparameters: { lr, depth: (i * 7) % 4, opt: i % 2 ? 'adam' : 'sgd' }, metrics: { acc: 1 - (lr - 0.5) ** 2 } });
    }
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs?experiment=${experimentId}`);
    await page.getByTestId('runs-total').getByText('30 run(s)').waitFor();
    await page.getByRole('button', { name: 'What matters' }).click();
    const table = page.getByTestId('importance-table');
    await table.waitFor();
    expect(await table.locator('tbody tr').first().locator('td').first().textContent()).toBe('lr');
    const scatter = page.getByTestId('sweep-scatter');
    await scatter.locator('[data-points="30"]').waitFor();
    // lr runs 0–0.9 and acc 0.75–1: the axes end at whole ticks (0–1, 0.75–1), so lr 0.5, acc 1 is at the top middle.
    const plot = (await scatter.locator('svg').boundingBox())!;
    await page.mouse.move(plot.x + 60 + (plot.width - 76) / 2, plot.y + 8);
    await expect.poll(() => scatter.getByRole('tooltip').textContent()).toMatch(/^wm-(5|15|25)lr 0\.5 · acc 1$/);
    await page.getByLabel('Colour by').selectOption('opt');
    await page.getByText('● opt = adam').waitFor();
    // Brush the lr axis (the first, the most important) over its upper part: the table keeps those runs.
    const brushPanel = page.getByTestId('parallel-brush');
    const chart = brushPanel.locator('svg');
    await chart.waitFor();
    expect([await brushPanel.getAttribute('data-lines'), await brushPanel.getAttribute('data-lines-on')]).toEqual(['30', '30']);
    const drawn = () => brushPanel.locator('canvas').evaluate((c: HTMLCanvasElement) => c.toDataURL());
    const unbrushed = await drawn();
    const box = (await chart.boundingBox())!;
    const axisX = box.x + 48; // the first axis
    await page.mouse.move(axisX, box.y + 30);
    await page.mouse.down();
    await page.mouse.move(axisX, box.y + 100, { steps: 5 });
    await page.mouse.up();
    await page.waitForURL((url) => (url.searchParams.get('brush') ?? '').startsWith('params.lr >= '));
    const brushed = new URL(page.url()).searchParams.get('brush')!;
    const expected = ((await (await fetch(`${session.server.url}/api/modellab/runs?experimentId=${experimentId}&count=true&filter=${encodeURIComponent(brushed)}`)).json()) as { total: number }).total;
    await expect.poll(async () => (await page.getByTestId('runs-total').textContent())!, { timeout: 15_000 }).toBe(`${expected} run(s)`);
    const total = expected;
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(30);
    expect(await brushPanel.getAttribute('data-lines-on')).toBe(String(total));
    expect(await drawn()).not.toBe(unbrushed); // the runs outside the brush drawn faint
    await screenshot(page, 'workbench-sweep-1280');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'workbench-sweep-375');
    expect(await sidewaysOverflow(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
