/**
 * npm run bench:eval — the whole POST /runs/:id/evaluate (all metrics with bootstrap CIs, files)
 * on N binary predictions with scores and 1,000 resamples, against a real server process, with and
 * without 4 slices (one `sliceAttributes` column with 4 values), next to scipy.stats.bootstrap at its
 * fastest setting here (vectorized=True, batch=10, percentile) for the CI of accuracy alone on the
 * same data, when Debian's python3-scipy is installed. Targets (issue 16): with slices ≤ 1.0× scipy,
 * without ≤ 0.7×. BENCH_N (default 200000); BENCH_LARGE=1 also runs 1,000,000 predictions (ModelLab
 * only: scipy would need 8 GB of indices).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT, startServer, stopServer, type ServerProcess } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const RESAMPLES = 1000;

function dataset(n: number) {
  let s = 42;
  const random = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const labels = Array.from({ length: n }, () => (random() < 0.4 ? 'pos' : 'neg'));
  const predictions = labels.map((l) => Math.round(Math.min(1, Math.max(0, (l === 'pos' ? 0.3 : 0) + random() * 0.7)) * 1e4) / 1e4);
  return { labels, predictions };
}

function post(server: ServerProcess, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: Number(new URL(server.url).port), path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const REGIONS = ['north', 'south', 'east', 'west'];

async function modellab(n: number, withSlices: boolean) {
  const { labels, predictions } = dataset(n);
  const data = withSlices ? labels.map((_, i) => ({ region: REGIONS[(i * 7919) % 4] })) : undefined;
  const tmp = await tempDir('modellab-bench-eval-');
  const server = await startServer({ dataDir: tmp.dir, env: { MODELLAB_MAX_EVAL_MB: '1024' } });
  const run = JSON.parse((await post(server, '/api/modellab/runs', '{"name":"eval-bench"}')).text) as { id: string };
  // Untimed first: one large evaluation, after which the server keeps two warm evaluation threads
  // (as scipy's timing starts after its imports); then let them settle.
  const warm = dataset(30_000);
  await post(server, `/api/modellab/runs/${run.id}/evaluate`, JSON.stringify({ ...warm, config: { taskType: 'classification', classes: ['neg', 'pos'], positiveClass: 'pos', bootstrap: { resamples: 100 } } }));
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const body = JSON.stringify({
    labels,
    predictions,
    ...(data && { data }),
    config: { taskType: 'classification', classes: ['neg', 'pos'], positiveClass: 'pos', bootstrap: { resamples: RESAMPLES }, ...(data && { sliceAttributes: ['region'] }) },
  });
  const started = performance.now();
  const res = await post(server, `/api/modellab/runs/${run.id}/evaluate`, body);
  const seconds = (performance.now() - started) / 1000;
  await stopServer(server);
  await tmp.cleanup();
  if (res.status !== 200) throw new Error(`evaluate failed: ${res.status} ${res.text.slice(0, 300)}`);
  const parsed = JSON.parse(res.text) as { metrics: { metrics: Record<string, { value: number; ci: { lower: number; upper: number } }> }; slices: { slices: unknown[] } };
  const metrics = parsed.metrics.metrics;
  return { seconds, accuracy: metrics.accuracy!, keys: Object.keys(metrics).length, slices: parsed.slices.slices.length };
}

function scipy(n: number): { seconds: number; lower: number; upper: number } | null {
  const python = ['/usr/bin/python3', 'python3'].find((p) => {
    try {
      execFileSync(p, ['-c', 'import scipy.stats'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!python) return null;
  const { labels, predictions } = dataset(n);
  const file = path.join(ROOT, 'tests/.tmp', `eval-correct-${n}.json`);
  writeFileSync(file, JSON.stringify(labels.map((l, i) => ((predictions[i]! >= 0.5) === (l === 'pos') ? 1 : 0))));
  const out = execFileSync(python, [
    '-c',
    `import json, time, numpy as np
from scipy import stats
x = np.array(json.load(open(${JSON.stringify(file)})), dtype=float)
t = time.perf_counter()
r = stats.bootstrap((x,), np.mean, n_resamples=${RESAMPLES}, vectorized=True, batch=10, method='percentile', random_state=1)
print(time.perf_counter() - t, r.confidence_interval.low, r.confidence_interval.high)`,
  ], { maxBuffer: 1 << 20 })
    .toString()
    .trim()
    .split(' ')
    .map(Number);
  return { seconds: out[0]!, lower: out[1]!, upper: out[2]! };
}

const sizes = [Number(process.env.BENCH_N ?? 200_000), ...(process.env.BENCH_LARGE === '1' ? [1_000_000] : [])];
console.log(`bench:eval — binary predictions with scores, ${RESAMPLES} resamples, node ${process.version}`);
for (const n of sizes) {
  const ref = n <= 200_000 ? scipy(n) : null;
  if (n <= 200_000) {
    if (!ref) console.log('scipy reference: not available (apt-get install python3-scipy)');
    else console.log(`scipy.stats.bootstrap (vectorized, batch=10, percentile), accuracy only, n=${n.toLocaleString('en-US')}: ${ref.seconds.toFixed(2)} s; [${ref.lower.toFixed(5)}, ${ref.upper.toFixed(5)}]`);
  }
  for (const withSlices of [false, true]) {
    const ours = await modellab(n, withSlices);
    const what = withSlices ? `with ${ours.slices} slices` : 'no slices';
    console.log(
      `ModelLab POST /evaluate, n=${n.toLocaleString('en-US')}, ${what}: ${ours.seconds.toFixed(2)} s for ${ours.keys} metrics with CIs + files; accuracy ${ours.accuracy.value} [${ours.accuracy.ci.lower.toFixed(5)}, ${ours.accuracy.ci.upper.toFixed(5)}]`,
    );
    if (ref) console.log(`  ratio ModelLab / scipy: ${(ours.seconds / ref.seconds).toFixed(2)}x (target ≤ ${withSlices ? '1.0' : '0.7'}x)`);
  }
}
