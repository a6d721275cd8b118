/**
 * npm run bench:latency — the profiler against autocannon on the same trivial local HTTP server,
 * concurrency 16 for 5 s each, in one run (rates and ratio printed; target ≥ 90%); then a 10 ms
 * endpoint (target: p50 in [10, 11.5] ms); then the profiler's own overhead per request, from a
 * no-op function target.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { profile } from '../../src/utils/modellab/latencyProfiler';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const server = http.createServer((req, res) => {
  if (req.url?.startsWith('/slow')) setTimeout(() => res.end('ok'), 10);
  else res.end('ok');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(`bench:latency — node ${process.version}, concurrency 16, ${SECONDS} s per tool`);

const cannon = await new Promise<{ requests: { average: number }; non2xx: number; errors: number }>((resolve, reject) =>
  autocannon({ url: `${base}/`, connections: 16, duration: SECONDS }, (error: Error | null, result: { requests: { average: number }; non2xx: number; errors: number }) => (error ? reject(error) : resolve(result))),
);
const ours = await profile({ url: `${base}/` }, { warmup: 200, concurrency: 16, durationMs: SECONDS * 1000 });
console.log(`autocannon: ${cannon.requests.average.toFixed(0)} req/s (${cannon.errors} errors, ${cannon.non2xx} non-2xx)`);
console.log(`ModelLab profiler: ${ours.throughput!.toFixed(0)} req/s (${ours.errors} errors), p50 ${ours.latency.p50.toFixed(3)} ms, p99 ${ours.latency.p99.toFixed(3)} ms`);
console.log(`ratio profiler / autocannon: ${((ours.throughput! / cannon.requests.average) * 100).toFixed(1)}% (target ≥ 90%)`);

const slow = await profile({ url: `${base}/slow` }, { warmup: 20, concurrency: 8, durationMs: Math.min(5000, SECONDS * 1000) });
console.log(`10 ms endpoint: p50 ${slow.latency.p50.toFixed(3)} ms, p95 ${slow.latency.p95.toFixed(3)} ms, p99 ${slow.latency.p99.toFixed(3)} ms (target p50 in [10, 11.5])`);

const noop = await profile(async () => {}, { warmup: 1000, requests: 200_000 });
console.log(`profiler overhead per request (no-op function target): mean ${(noop.latency.mean * 1000).toFixed(2)} µs, p99 ${(noop.latency.p99 * 1000).toFixed(2)} µs, ${noop.throughput!.toFixed(0)} calls/s`);
server.close();
