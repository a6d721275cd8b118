/**
 * HTTP load for the runs benchmarks, with node:http and keep-alive as autocannon does (fetch's own
 * CPU cost on this 2-core machine was large enough to be what a first version measured). Clients
 * are spread round-robin over one or more servers.
 */
import http from 'node:http';
import { runBody } from './benchRuns';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const API = '/api/modellab';

export function call(port: number, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const value = await fn();
  return [value, performance.now() - t];
}

/** The total the store reports for runs (1 row fetched). */
export const storedRuns = async (port: number) => (JSON.parse((await call(port, 'GET', `${API}/runs?limit=1`)).text) as { total: number }).total;

/** Creates runs [from, to) with runBody from `clients` concurrent clients spread over `ports`: acknowledged ids, failures, milliseconds. */
export async function createRuns(ports: number[], from: number, to: number, clients: number): Promise<{ ids: string[]; failures: number; ms: number }> {
  const bodies = Array.from({ length: to - from }, (_, i) => runBody(from + i)); // made before the clock starts
  const ids: string[] = [];
  let next = from;
  let failures = 0;
  const [, ms] = await timed(() =>
    Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const port = ports[c % ports.length]!;
        while (next < to) {
          const i = next++;
          const res = await call(port, 'POST', `${API}/runs`, bodies[i - from]);
          if (res.status === 201) ids.push((JSON.parse(res.text) as { id: string }).id);
          else failures++;
        }
      }),
    ),
  );
  return { ids, failures, ms };
}

export type Latency = { total: number; p50: number; p975: number; max: number; count: number };

/**
 * Latency percentiles of GET `paths`, the kinds alternating (one of each in turn) so a reference and
 * the pages meet the same conditions on a shared machine. Request to whole response received. At
 * most `rounds` rounds, fewer when `budgetMs` runs out (a request far slower than its target).
 */
export async function latencies(port: number, paths: string[], rounds = 400, clients = 1, budgetMs = Infinity): Promise<Latency[]> {
  const times = paths.map(() => [] as number[]);
  const totals = paths.map(() => 0);
  let next = 0;
  const deadline = performance.now() + budgetMs;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      // Past the budget, a round is finished (each kind measured as often) and no other begun.
      while (next < rounds * paths.length && (next % paths.length !== 0 || performance.now() < deadline)) {
        const k = next++ % paths.length;
        const [res, ms] = await timed(() => call(port, 'GET', paths[k]!));
        times[k]!.push(ms);
        totals[k] = (JSON.parse(res.text) as { total?: number }).total ?? 0;
      }
    }),
  );
  return times.map((t, k) => {
    t.sort((a, b) => a - b);
    return { total: totals[k]!, p50: percentile(t, 50), p975: percentile(t, 97.5), max: t.at(-1)!, count: t.length };
  });
}

export const POINTS_PER_BATCH = 1000;

/**
 * Metric batches for `targets` runs (each body 1,000 points of 4 keys), made before the clock starts:
 * on this 2-core machine building and serializing them in the client cost about as much CPU as the
 * server's handling.
 */
export const metricBatches = (count: number, firstStep: number, targets: number) =>
  Array.from({ length: count }, (_, b) => {
    const step = firstStep + Math.floor(b / targets) * POINTS_PER_BATCH;
    return JSON.stringify({ metrics: Array.from({ length: POINTS_PER_BATCH }, (_, i) => ({ key: `loss_${i % 4}`, value: 1 / (step + i + 1), step: step + i })) });
  });

/** Sends the batches from one client per target run (spread over `ports`): milliseconds and failed requests. */
export async function logBatches(ports: number[], targets: string[], bodies: string[]): Promise<{ ms: number; failures: number }> {
  let next = 0;
  let failures = 0;
  const [, ms] = await timed(() =>
    Promise.all(
      targets.map(async (id, c) => {
        while (next < bodies.length) {
          const res = await call(ports[c % ports.length]!, 'POST', `${API}/runs/${id}/metrics`, bodies[next++]);
          if (res.status !== 201) failures++;
        }
      }),
    ),
  );
  return { ms, failures };
}

export function closeLoad(): void {
  agent.destroy();
}
