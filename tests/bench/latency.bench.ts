/**
 * npm run bench:latency — the profiler against autocannon on the same trivial local HTTP server
 * (its own process: tests/bench/latencyTarget.mjs), concurrency 16 for 5 s each, in one run (rates
 * and ratio printed; target ≥ 90%); then an endpoint that answers after 10 ms (target: p50 in
 * [10, 11.5] ms; the server's own median is printed beside it); then the profiler's own overhead per
 * request, from a no-op function target.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { profile } from '../../api/latencyProfiler';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const server = spawn(process.execPath, [fileURLToPath(new URL('./latencyTarget.mjs', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<string>((resolve) => server.stdout.once('data', (chunk) => resolve(String(chunk).trim())));
const base = `http://127.0.0.1:${port}`;
console.log(`bench:latency — node ${process.version}, concurrency 16, ${SECONDS} s per tool`);

type CannonResult = { requests: { average: number }; latency: { average: number; p50: number }; non2xx: number; errors: number };
const cannon = (path: string, connections: number, seconds: number) =>
  new Promise<CannonResult>((resolve, reject) =>
    autocannon({ url: `${base}${path}`, connections, duration: seconds }, (error: Error | null, result: CannonResult) => (error ? reject(error) : resolve(result))),
  );
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Alternating rounds, so drift in the machine's speed hits both tools alike.
const ROUNDS = 3;
const cannonRates: number[] = [];
const ourRates: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const theirs = await cannon('/', 16, SECONDS);
  const ours = await profile({ url: `${base}/` }, { warmup: 200, concurrency: 16, durationMs: SECONDS * 1000 });
  cannonRates.push(theirs.requests.average);
  ourRates.push(ours.throughput!);
  console.log(
    `round ${round}: autocannon ${theirs.requests.average.toFixed(0)} req/s (${theirs.errors} errors, ${theirs.non2xx} non-2xx); ` +
      `ModelLab profiler ${ours.throughput!.toFixed(0)} req/s (${ours.errors} errors), p50 ${ours.latency.p50.toFixed(3)} ms, p99 ${ours.latency.p99.toFixed(3)} ms`,
  );
}
console.log(`median rate: autocannon ${median(cannonRates).toFixed(0)} req/s, ModelLab profiler ${median(ourRates).toFixed(0)} req/s`);
console.log(`ratio profiler / autocannon: ${((median(ourRates) / median(cannonRates)) * 100).toFixed(1)}% (target ≥ 90%)`);

// The 10 ms endpoint, one client and eight; autocannon (whole milliseconds) on the same endpoint as a second opinion.
for (const concurrency of [1, 8]) {
  await fetch(`${base}/stats`);
  const slow = await profile({ url: `${base}/slow` }, { warmup: 20, concurrency, durationMs: Math.min(5000, SECONDS * 1000) });
  const own = (await (await fetch(`${base}/stats`)).json()) as { count: number; p50: number };
  const theirs = await cannon('/slow', concurrency, Math.min(5, SECONDS));
  console.log(
    `10 ms endpoint, concurrency ${concurrency}: p50 ${slow.latency.p50.toFixed(3)} ms, p95 ${slow.latency.p95.toFixed(3)} ms, p99 ${slow.latency.p99.toFixed(3)} ms ` +
      `(target p50 in [10, 11.5]); the server's own p50 ${own.p50.toFixed(3)} ms; autocannon p50 ${theirs.latency.p50} ms, mean ${theirs.latency.average} ms`,
  );
}

// Open loop against a target slower than the rate (one slot, 100 requests/s, 30 ms each): latency is
// measured from the intended send time, so the queue shows. Expected p50 ≈ 110–130 ms against ≈ 30 ms
// in closed loop (a ratio ≈ 4); moved here from the unit tests, where wall-clock ratios were flaky.
const stalled = () => new Promise<void>((r) => setTimeout(r, 30));
const closedLoop = await profile(stalled, { warmup: 0, requests: 10, concurrency: 1 });
const openLoop = await profile(stalled, { warmup: 0, requests: 10, concurrency: 1, rateRps: 100 });
console.log(`open loop at 100 req/s on a 30 ms target: p50 ${openLoop.latency.p50.toFixed(1)} ms vs closed loop ${closedLoop.latency.p50.toFixed(1)} ms (ratio ${(openLoop.latency.p50 / closedLoop.latency.p50).toFixed(2)}, expected ≈ 4)`);

const noop = await profile(async () => {}, { warmup: 1000, requests: 200_000 });
console.log(`profiler overhead per request (no-op function target): mean ${(noop.latency.mean * 1000).toFixed(2)} µs, p99 ${(noop.latency.p99 * 1000).toFixed(2)} µs, ${noop.throughput!.toFixed(0)} calls/s`);
server.kill('SIGTERM');
