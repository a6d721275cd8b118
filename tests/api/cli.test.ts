/** The `modellab profile` command: its arguments, its printout, and the upload of its samples to a run. */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration, parseProfileArgs, renderProfile, UsageError } from '../../api/cli';
import { summarizeSamples } from '../../src/shared/latencyStats';
import { testApp, type TestApp } from '../helpers/app';

const CLI = path.resolve(__dirname, '../../api/modellab.mjs');

describe('parseProfileArgs', () => {
  it('reads the curl-like flags', () => {
    const files: Record<string, string> = { 'request.json': '{"inputs": [1, 2]}' };
    const command = parseProfileArgs(
      ['--url', 'http://127.0.0.1:8000/predict', '--body', '@request.json', '-H', 'Content-Type: application/json', '-H', 'X-Key:  a:b ', '-c', '8', '-d', '30s', '--warmup', '50', '--rate', '200', '--timeout', '500ms', '--run', 'r1'],
      { MODELLAB_SERVER: 'http://ml:3000/', MODELLAB_API_TOKEN: 'tok' },
      (p) => files[p]!,
    );
    expect(command).toEqual({
      target: { url: 'http://127.0.0.1:8000/predict', method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Key': 'a:b' }, body: '{"inputs": [1, 2]}' },
      options: { warmup: 50, concurrency: 8, durationMs: 30_000, rateRps: 200, timeoutMs: 500 },
      json: false,
      upload: { runId: 'r1', server: 'http://ml:3000', token: 'tok' },
    });
    expect(parseProfileArgs(['--url', 'http://h/x', '-n', '1000', '-X', 'put', '--server', 'http://s', '--run', 'r', '--token', 't'], {})).toMatchObject({
      target: { method: 'PUT' },
      options: { warmup: 20, concurrency: 1, requests: 1000 },
      upload: { server: 'http://s', token: 't' },
    });
  });

  it('parses durations', () => {
    expect([parseDuration('30s', 'd'), parseDuration('500ms', 'd'), parseDuration('2m', 'd'), parseDuration('1h', 'd'), parseDuration('1.5', 'd')]).toEqual([30_000, 500, 120_000, 3_600_000, 1500]);
    expect(() => parseDuration('soon', '-d')).toThrow("-d: 'soon' is not a duration");
    expect(() => parseDuration('0s', '-d')).toThrow('more than zero');
  });

  it.each([
    [[], /--url is required/],
    [['--url', 'ftp://h/', '-n', '1'], /must be http or https/],
    [['--url', 'not a url', '-n', '1'], /is not a URL/],
    [['--url', 'http://h/'], /exactly one of -n\/--requests or -d\/--duration/],
    [['--url', 'http://h/', '-n', '1', '-d', '1s'], /exactly one of/],
    [['--url', 'http://h/', '-n', '0'], /-n\/--requests: '0' is not a whole number from 1/],
    [['--url', 'http://h/', '-n', '1', '-c', '2000'], /-c\/--concurrency: '2000' is not a whole number from 1 to 1024/],
    [['--url', 'http://h/', '-n', '1', '-H', 'novalue'], /-H: 'novalue' is not 'name: value'/],
    [['--url', 'http://h/', '-n', '1', '--rate=-5'], /--rate: '-5' is not a positive number/],
    [['--url', 'http://h/', '-n', '1', '--server', 'http://s'], /--server and --token go with --run/],
    [['--url', 'http://h/', '-n', '1', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseProfileArgs(argv as string[], {})).toThrow(UsageError);
    expect(() => parseProfileArgs(argv as string[], {})).toThrow(message);
  });
});

describe('renderProfile', () => {
  it('prints the counts, every percentile and one histogram row per bin', () => {
    const result = summarizeSamples(Array.from({ length: 100 }, (_, i) => i + 1), {}, { durationMs: 2000, errorsByKind: { 'status:500': 2 } });
    const text = renderProfile(result, { url: 'http://h/p', method: 'POST' });
    expect(text).toContain('POST http://h/p');
    expect(text).toContain('requests    100 measured, 2 failed (status:500 ×2)');
    expect(text).toContain('throughput  50.0 req/s over 2.000 s');
    const [header, values] = text.split('\n').filter((line) => line.startsWith('latency ms') || line.startsWith('            ')).map((line) => line.trim().split(/\s+/));
    expect(header).toEqual(['latency', 'ms', 'min', 'mean', 'stdDev', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max']);
    expect(values!.slice(3, 7)).toEqual(['50.50', '90.10', '95.05', '99.01']);
    const rows = text.split('\n').filter((line) => line.includes(' │ '));
    expect(rows).toHaveLength(result.histogram.length);
    expect(rows.reduce((sum, row) => sum + Number(row.split('│')[1]!.trim().split(' ')[0]), 0)).toBe(100);
  });
});

describe('modellab profile (the command)', () => {
  let t: TestApp;
  let modellab: http.Server;
  let target: http.Server;
  let server = '';
  let targetUrl = '';
  let hits = 0;
  beforeAll(async () => {
    t = await testApp({ apiToken: 'secret' });
    modellab = http.createServer(t.app);
    target = http.createServer((req, res) => {
      hits++;
      res.statusCode = req.url === '/fail' ? 503 : 200;
      setTimeout(() => res.end('ok'), 2);
    });
    const listen = (s: http.Server) => new Promise<string>((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
    [server, targetUrl] = await Promise.all([listen(modellab), listen(target)]);
  });
  afterAll(async () => {
    for (const s of [modellab, target]) {
      s.closeAllConnections();
      s.close();
    }
    await t.cleanup();
  });

  const cli = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { ...process.env, MODELLAB_SERVER: '', MODELLAB_API_TOKEN: '' }, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('measures the endpoint, prints the table and uploads the samples to the run', async () => {
    const runId = (await request(t.app).post('/api/modellab/runs').set('authorization', 'Bearer secret').send({ name: 'served' })).body.id;
    hits = 0;
    const out = await cli('profile', '--url', `${targetUrl}/predict`, '-c', '2', '-n', '60', '--warmup', '5', '--run', runId, '--server', server, '--token', 'secret');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(hits).toBe(65);
    expect(out.stdout).toContain(`GET ${targetUrl}/predict`);
    expect(out.stdout).toContain('requests    60 measured, 0 failed');
    expect(out.stdout).toMatch(new RegExp(`uploaded to run ${runId} \\(p50 [\\d.]+ ms`));
    const stored = (await request(t.app).get(`/api/modellab/artifacts/${runId}/download/evaluations/latency.json`)).body;
    expect(stored).toMatchObject({ count: 60, errors: 0, config: { source: 'client samples', tool: 'modellab profile', concurrency: 2, warmup: 5, requests: 60 } });
    expect(stored.durationMs).toBeGreaterThan(0);
    expect(stored.throughput).toBeCloseTo(60 / (stored.durationMs / 1000), 6);
    expect(stored.latency.min).toBeGreaterThanOrEqual(1); // the target waits 2 ms (a Node timer may fire up to 1 ms early by the wall clock)
    const run = (await request(t.app).get(`/api/modellab/runs/${runId}`)).body;
    expect(run.latency).toMatchObject({ p50: stored.latency.p50, throughput: stored.throughput });
  });

  it('counts failures by kind and sends them with the samples; --json prints the stored result', async () => {
    const runId = (await request(t.app).post('/api/modellab/runs').set('authorization', 'Bearer secret').send({ name: 'failing' })).body.id;
    const out = await cli('profile', '--url', `${targetUrl}/fail`, '-n', '10', '--warmup', '0', '--json', '--run', runId, '--server', server, '--token', 'secret');
    expect(out.code).toBe(0);
    const printed = JSON.parse(out.stdout);
    expect(printed).toMatchObject({ count: 10, errors: 10, errorsByKind: { 'status:503': 10 } });
    expect((await request(t.app).get(`/api/modellab/runs/${runId}`)).body.latency.measuredAt).toBe(printed.measuredAt);
  });

  it('exits 1 with the server’s message when the upload is refused, and 2 for a usage error', async () => {
    const refused = await cli('profile', '--url', `${targetUrl}/`, '-n', '3', '--warmup', '0', '--run', 'r', '--server', server, '--token', 'wrong');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the server refused the upload \(HTTP 401\): /);
    const usage = await cli('profile', '--url', `${targetUrl}/`);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('give exactly one of -n/--requests or -d/--duration');
    expect((await cli('frobnicate')).stderr).toContain("unknown command 'frobnicate'");
  });
});
