import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profile } from '../../../../api/latencyProfiler';

let server: http.Server;
let url = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/fail') {
      res.statusCode = 500;
      res.end('no');
      return;
    }
    const delay = Number(new URL(req.url!, 'http://x').searchParams.get('delay') ?? 0);
    setTimeout(() => res.end('ok'), delay);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('profile', () => {
  it('runs the warmup first and leaves it out of the statistics', async () => {
    let calls = 0;
    const result = await profile(async () => {
      calls++;
    }, { warmup: 7, requests: 50, concurrency: 2 });
    expect(calls).toBe(57);
    expect(result.count).toBe(50);
    expect(result.histogram.reduce((s, b) => s + b.count, 0)).toBe(50);
    expect(result.percentiles.length).toBeGreaterThanOrEqual(10);
  });

  it('times and counts errors instead of dropping them', async () => {
    let i = 0;
    const result = await profile(async () => {
      if (i++ % 4 === 0) throw new RangeError('bad input');
    }, { warmup: 0, requests: 40 });
    expect(result.count).toBe(40);
    expect(result.errors).toBe(10);
    expect(result.errorsByKind).toEqual({ 'error:RangeError': 10 });
  });

  it('measures an HTTP endpoint that answers after 10 ms at about 10 ms, with status errors and timeouts counted', async () => {
    const slow = await profile({ url: `${url}/?delay=10` }, { warmup: 5, requests: 40, concurrency: 4 });
    // A lower bound only: upper bounds are for the benchmark (shared machines are noisy).
    expect(slow.latency.p50).toBeGreaterThanOrEqual(10);
    expect(slow.errors).toBe(0);
    const failing = await profile({ url: `${url}/fail` }, { warmup: 0, requests: 10 });
    expect(failing.errorsByKind).toEqual({ 'status:500': 10 });
    const timeouts = await profile({ url: `${url}/?delay=300` }, { warmup: 0, requests: 3, timeoutMs: 50 });
    expect(timeouts.errorsByKind).toEqual({ timeout: 3 });
    expect(timeouts.latency.p50).toBeGreaterThanOrEqual(45);
  });

  it('measures from the intended send time in open loop, so a stalled target shows up as latency', async () => {
    // One slot, 100 requests/s scheduled, each call takes 30 ms: requests queue behind each other.
    const closedLoop = await profile(() => new Promise((r) => setTimeout(r, 30)), { warmup: 0, requests: 10, concurrency: 1 });
    const openLoop = await profile(() => new Promise((r) => setTimeout(r, 30)), { warmup: 0, requests: 10, concurrency: 1, rateRps: 100 });
    // Request k was due at 10k ms but could start no earlier than 30k ms: its latency is at least
    // 20k + 30 ms (30, 50, …, 210), so the median (the histogram's 5th of 10) is at least 110. A
    // slower machine only adds to that; how much larger than closed loop it is belongs to bench:latency.
    expect(openLoop.latency.max).toBeGreaterThanOrEqual(209);
    expect(openLoop.latency.p50).toBeGreaterThanOrEqual(109);
    expect(closedLoop.latency.min).toBeGreaterThanOrEqual(29);
  });

  it('starts no request after durationMs', async () => {
    const starts: number[] = [];
    const before = performance.now();
    const result = await profile(
      () => {
        starts.push(performance.now());
        return new Promise((r) => setTimeout(r, 5));
      },
      { warmup: 0, durationMs: 200, concurrency: 2 },
    );
    expect(Math.max(...starts) - before).toBeLessThanOrEqual(201);
    expect(result.count).toBe(starts.length);
    expect(result.throughput).toBeGreaterThan(0);
  });
});
