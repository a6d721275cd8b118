/** The Latency tab's profile form against a local test server, and the Compare page's latency card. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eSession, screenshot, sidewaysOverflow, watchProblems } from './browser';

const session = e2eSession();
let target: http.Server;
let targetUrl = '';
const received: { method: string; body: string; contentType: string | undefined }[] = [];

beforeAll(async () => {
  // A model server that takes about 5 ms per prediction.
  target = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method!, body, contentType: req.headers['content-type'] });
      setTimeout(() => res.end('{"outputs": [1]}'), 5);
    });
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/predict`;
});
afterAll(() => {
  target.closeAllConnections();
  target.close();
});

const api = async (path: string, body: unknown) => {
  const res = await fetch(`${session.server.url}/api/modellab${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as { id: string };
};

describe('Latency tab: profile an endpoint', () => {
  it('runs a profile from the form, shows its progress and result, and refuses a host outside the allow-list', async () => {
    const run = await api('/runs', { name: 'served-model' });
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/runs/${run.id}`);
    await page.getByRole('tab', { name: 'Latency' }).click();
    const form = page.getByRole('form', { name: 'Profile an endpoint' });

    // A host that is not allowed: 403 before any connection, said inline.
    await form.getByLabel('URL').fill('http://example.com/predict');
    await form.getByRole('button', { name: 'Run profile' }).click();
    await form.getByRole('alert').filter({ hasText: 'MODELLAB_PROFILE_ALLOWED_HOSTS' }).waitFor();
    // The 403 itself is expected (the response, and Chromium's console line about it); nothing else.
    expect(problems.filter((p) => !p.includes('/profile') && !p.includes('status of 403'))).toEqual([]);
    problems.length = 0;

    // The local model server for 2 seconds at concurrency 4: progress while it runs, then the result.
    received.length = 0;
    await form.getByLabel('URL').fill(targetUrl);
    await form.getByLabel('Warmup requests').fill('10');
    await form.getByLabel('Concurrency').fill('4');
    await form.getByLabel('Stop after').selectOption('duration');
    await form.getByLabel('Duration (s)').fill('2.5');
    await form.getByRole('button', { name: 'Run profile' }).click();
    await expect.poll(() => page.getByTestId('profile-progress').textContent().catch(() => ''), { timeout: 10_000 }).toMatch(/^[\d,]+ requests measured, 0 failed, \d+\.\d s$/);

    const cards = page.getByTestId('latency-cards');
    await cards.waitFor({ timeout: 20_000 });
    const tile = async (name: string) => (await cards.locator('div', { has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd').textContent())!;
    const measured = Number((await tile('samples')).replace(/,/g, ''));
    expect(received.length).toBe(measured + 10); // warmup included in what the server saw, not in the statistics
    expect(received.every((r) => r.method === 'POST' && r.body === '{"inputs": [[0.1, 0.2, 0.3]]}' && r.contentType === 'application/json')).toBe(true);
    const p50 = Number.parseFloat(await tile('p50'));
    expect(p50).toBeGreaterThanOrEqual(4);
    expect(p50).toBeLessThan(50);
    expect(await tile('errors')).toBe('0');
    expect(Number.parseFloat(await tile('throughput'))).toBeCloseTo(measured / 2.5, -2);
    await page.getByText(`POST ${targetUrl}`).waitFor();
    expect(await form.getByLabel('URL').inputValue()).toBe(targetUrl); // the form keeps what was entered, for the next run
    await page.locator('.recharts-line-curve').first().waitFor();
    await screenshot(page, 'latency-profiled');
    expect(problems).toEqual([]);
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await sidewaysOverflow(page)).toEqual([]);
    await screenshot(page, 'latency-profiled-narrow');
    await page.close();
  });
});

describe('Compare: latency side by side', () => {
  it('shows the runs’ percentiles, the change against the baseline, and overlaid percentile curves', async () => {
    const a = await api('/runs', { name: 'fp32-model' });
    const b = await api('/runs', { name: 'int8-model' });
    await api(`/runs/${a.id}/latency`, { samplesMs: Array.from({ length: 100 }, (_, i) => 20 + i), durationMs: 1000 });
    await api(`/runs/${b.id}/latency`, { samplesMs: Array.from({ length: 100 }, (_, i) => 10 + i / 2), durationMs: 500 });
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${session.server.url}/modellab/compare?runs=${a.id},${b.id}`);
    const card = page.getByTestId('compare-latency');
    await card.waitFor();
    const row = (label: string) => card.locator('tr', { has: page.locator('td', { hasText: label }) }).locator('td');
    // p50: 69.5 and 34.75 (numpy's interpolation), so int8 is 50% faster; throughput 100 → 200 req/s.
    expect(await row('p50 (ms)').allTextContents()).toEqual(['p50 (ms)', '69.5', '34.75', '-50.0%']);
    expect(await row('throughput (req/s)').allTextContents()).toEqual(['throughput (req/s)', '100', '200', '+100.0%']);
    await expect.poll(() => card.locator('.recharts-line-curve').count(), { timeout: 10_000 }).toBe(2);
    await page.getByText('None of these runs has an evaluation or logged metrics yet.').waitFor(); // instead of an empty metrics table
    await screenshot(page, 'compare-latency');
    expect(problems).toEqual([]);
    await page.close();
  });
});
