/**
 * npm run bench:runs-page — the Runs page in Chromium (Debian's, headless) with 10,000 runs: from
 * navigation to the first rows drawn (issue 16's target ≤ 0.5 s), median and worst of 7 page loads
 * after one warm-up, on a first visit and on a returning one; next to the same page with 10 runs
 * and a page of one row and no script (what the browser itself costs here), on the same server.
 * The server serves the built client (`npm run build` first).
 */
import http from 'node:http';
import { chromium } from 'playwright-core';
import { startServer, stopServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const LOADS = 7;

const tmp = await tempDir('modellab-bench-page-');
const server = await startServer({ dataDir: tmp.dir, apiOnly: false });
const port = Number(new URL(server.url).port);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const post = (body: string) =>
  new Promise<void>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/modellab/runs', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(body);
  });
const body = (i: number) =>
  JSON.stringify({ name: `sweep-${i}`, status: i % 5 ? 'completed' : 'failed', hyperparameters: { lr: (i % 10) / 100, optimizer: ['sgd', 'adam'][i % 2] }, metrics: { loss: (i % 97) / 97, acc: (i % 89) / 89 } });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

/**
 * Navigation start to the first run row in the DOM, over `LOADS` pages: each in a fresh browser
 * context (a first visit: nothing cached), or all in one (a returning user: the app's files come
 * from the browser's cache, as their `immutable` headers allow, with their compiled code).
 */
async function pageLoads(url = `${server.url}/modellab/runs`, returning = false): Promise<number[]> {
  const times: number[] = [];
  const shared = returning ? await browser.newContext({ viewport: { width: 1280, height: 900 } }) : null;
  for (let i = 0; i <= LOADS; i++) {
    const context = shared ?? (await browser.newContext({ viewport: { width: 1280, height: 900 } }));
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(url);
    await page.getByTestId('run-row').first().waitFor({ timeout: 30_000 });
    if (i > 0) times.push(performance.now() - started); // the first load warms the server and the browser
    if (shared) await page.close();
    else await context.close();
  }
  await shared?.close();
  return times.sort((a, b) => a - b);
}

const report = (label: string, times: number[]) =>
  console.log(`${label}: median ${(times[Math.floor(times.length / 2)]! / 1000).toFixed(3)} s, worst ${(times.at(-1)! / 1000).toFixed(3)} s over ${times.length} loads`);

console.log(`bench:runs-page — Chromium, node ${process.version}`);
// The floor: what a fresh browser context and a navigation cost here, to a page of one row and no script.
const floor = http.createServer((_req, res) => res.setHeader('content-type', 'text/html').end('<!doctype html><title>floor</title><div data-testid="run-row">row</div>'));
await new Promise<void>((resolve) => floor.listen(0, '127.0.0.1', resolve));
report('A static page with one row, no script (floor)', await pageLoads(`http://127.0.0.1:${(floor.address() as { port: number }).port}/`));
floor.close();
let next = 0;
const create = (upTo: number) => Promise.all(Array.from({ length: 32 }, async () => { while (next < upTo) await post(body(next++)); }));
await create(10);
report('Runs page with 10 runs (reference)', await pageLoads());
await create(RUNS);
report(`Runs page with ${RUNS.toLocaleString('en-US')} runs, first visit, to the first rows (target ≤ 0.5 s)`, await pageLoads());
report(`Runs page with ${RUNS.toLocaleString('en-US')} runs, returning visit (app files cached), to the first rows`, await pageLoads(undefined, true));
await browser.close();
agent.destroy();
await stopServer(server);
await tmp.cleanup();
