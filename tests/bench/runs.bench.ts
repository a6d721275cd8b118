/**
 * npm run bench:runs — against a real server process on this machine:
 *  1. 10,000 runs (20 hyperparameters, 10 metrics each) created by 64 concurrent HTTP clients:
 *     acknowledged creates/s, and a check that none was lost (issue 16's target ≥ 3,000/s);
 *  2. a filtered, sorted page of 50 out of them: latency percentiles over 400 requests, 4 clients
 *     (issue 16's targets: p97.5 ≤ 5 ms with 1 client, ≤ 20 ms with 4; the plain page ≤ 1.5 ms);
 *  3. metric logging in batches of 1,000 points from 8 clients: points/s (issue 16's target ≥ 500,000/s);
 *  4. 90,000 more runs (100,000 in all; BENCH_LARGE_RUNS, 0 to skip): the filtered, sorted page with
 *     1 client (target p97.5 ≤ 25 ms) and the server's RSS with them loaded (target ≤ 400 MB).
 */
import { ROOT, startServer, stopServer } from '../helpers/server';
import { memoryOf } from './memory';
import { tempDir } from '../helpers/tmp';
import { SEARCH_PATH } from './benchRuns';
import { closeLoad, createRuns, latencies, logBatches, metricBatches, POINTS_PER_BATCH, storedRuns } from './httpLoad';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const LARGE_RUNS = Number(process.env.BENCH_LARGE_RUNS ?? 100_000);
const IDLE_MS = 15_000;
let port = 0;
const CLIENTS = 64;

const tmp = await tempDir('modellab-bench-runs-');
const server = await startServer({ dataDir: tmp.dir, env: { MODELLAB_GIT_DIR: ROOT } });
port = Number(new URL(server.url).port);
const api = '/api/modellab';
console.log(`bench:runs — ${RUNS.toLocaleString('en-US')} runs, node ${process.version}, server pid ${server.child.pid}`);

// 1. creates
const ids: string[] = [];
async function create(from: number, to: number): Promise<{ failures: number; ms: number }> {
  const result = await createRuns([port], from, to, CLIENTS);
  ids.push(...result.ids);
  return result;
}
const stored = () => storedRuns(port);
const created = await create(0, RUNS);
const listed = await stored();
console.log(
  `creates: ${RUNS} with ${CLIENTS} clients in ${(created.ms / 1000).toFixed(2)} s = ${((RUNS / created.ms) * 1000).toFixed(0)} acknowledged creates/s ` +
    `(target ≥ 3000); ${created.failures} failed; ${listed} stored (${listed === ids.length ? 'none lost' : 'LOST SOME'})`,
);

// 2. search
const HEALTH = `${api}/health`;
const PLAIN = `${api}/runs?limit=50`;
const SEARCH = SEARCH_PATH;
// The store rewrites its snapshot after a burst of writes like the one above: searches are measured after it.
await new Promise((resolve) => setTimeout(resolve, 2000));
await latencies(port, [SEARCH, PLAIN], 50); // warm-up
for (const clients of [1, 4]) {
  const [health, plain, search] = await latencies(port, [HEALTH, PLAIN, SEARCH], 400, clients);
  console.log(`health check (reference), ${clients} client(s): p50 ${health!.p50.toFixed(2)} ms, p97.5 ${health!.p975.toFixed(2)} ms, max ${health!.max.toFixed(1)} ms`);
  console.log(`page of 50, no filter, ${clients} client(s): p50 ${plain!.p50.toFixed(2)} ms, p97.5 ${plain!.p975.toFixed(2)} ms${clients === 1 ? ' (target ≤ 1.5)' : ''}, max ${plain!.max.toFixed(1)} ms`);
  console.log(
    `page of 50, filter+sort over ${RUNS} runs (${search!.total} matches), ${clients} client(s): p50 ${search!.p50.toFixed(1)} ms, p97.5 ${search!.p975.toFixed(1)} ms (target ≤ ${clients === 1 ? 5 : 20}), max ${search!.max.toFixed(1)} ms`,
  );
}

// 3. metric logging
const BATCHES = Number(process.env.BENCH_BATCHES ?? 1000);
const WARM_BATCHES = 40;
const targets = ids.slice(0, 8);
await logBatches([port], targets, metricBatches(WARM_BATCHES, 0, targets.length)); // untimed: the path's first calls compile it
const logged = await logBatches([port], targets, metricBatches(BATCHES, 1_000_000, targets.length));
const points = BATCHES * POINTS_PER_BATCH;
console.log(
  `metric logging: ${points.toLocaleString('en-US')} points in batches of ${POINTS_PER_BATCH} from 8 clients in ${(logged.ms / 1000).toFixed(2)} s = ` +
    `${((points / logged.ms) * 1000).toFixed(0)} points/s (target ≥ 500000); ${logged.failures} failed requests`,
);

// 4. 100,000 runs
if (LARGE_RUNS > RUNS) {
  const more = await create(RUNS, LARGE_RUNS);
  const total = await stored();
  console.log(`creates: ${LARGE_RUNS - RUNS} more in ${(more.ms / 1000).toFixed(2)} s = ${(((LARGE_RUNS - RUNS) / more.ms) * 1000).toFixed(0)}/s; ${more.failures} failed; ${total} stored`);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await latencies(port, [SEARCH], 20); // warm-up
  const [search, plain] = await latencies(port, [SEARCH, PLAIN], 200);
  console.log(
    `page of 50, filter+sort over ${total} runs (${search!.total} matches), 1 client: p50 ${search!.p50.toFixed(1)} ms, p97.5 ${search!.p975.toFixed(1)} ms (target ≤ 25), max ${search!.max.toFixed(1)} ms`,
  );
  console.log(`page of 50, no filter, over ${total} runs, 1 client: p50 ${plain!.p50.toFixed(1)} ms, p97.5 ${plain!.p975.toFixed(1)} ms, max ${plain!.max.toFixed(1)} ms`);
  const busy = memoryOf(server.child.pid!);
  // V8 keeps garbage and heap headroom while a process allocates fast; when it goes idle its memory
  // reducer collects and gives pages back (after ~8 s). Both figures are printed.
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const idle = memoryOf(server.child.pid!);
  console.log(
    `server RSS with ${total} runs loaded: ${busy.rss.toFixed(0)} MB right after the requests, ${idle.rss.toFixed(0)} MB after ${IDLE_MS / 1000} s idle (target ≤ 400); peak ${idle.peak.toFixed(0)} MB`,
  );
  // The same data after a restart: what a server that opens this folder holds.
  await stopServer(server);
  const reopened = await startServer({ dataDir: tmp.dir, env: { MODELLAB_GIT_DIR: ROOT } });
  port = Number(new URL(reopened.url).port);
  const opened = memoryOf(reopened.child.pid!);
  const [again] = await latencies(port, [SEARCH], 200);
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const after = memoryOf(reopened.child.pid!);
  console.log(
    `after a restart on the same folder: RSS ${opened.rss.toFixed(0)} MB once open (peak while loading ${opened.peak.toFixed(0)} MB), filter+sort page p97.5 ${again!.p975.toFixed(1)} ms, ` +
      `RSS ${after.rss.toFixed(0)} MB after ${IDLE_MS / 1000} s idle (target ≤ 400)`,
  );
  await stopServer(reopened);
} else {
  await stopServer(server);
}
closeLoad();
await tmp.cleanup();
