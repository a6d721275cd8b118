/**
 * npm run bench:soak — a busy team's mixed workload against a real server process for SOAK_SECONDS
 * (default 300): 12 clients creating runs, logging metric batches, searching, uploading artifacts,
 * evaluating (several at once on the same runs) and updating tags, each client with a short think
 * time between requests. Past SOAK_POOL live runs (400) each create also deletes the oldest run, so
 * the data held stays bounded and a rising RSS would be a leak, not data. Every 10 s it prints the requests per kind, any non-2xx answer by status and
 * the server's RSS. Then the server is killed with SIGKILL while requests are in flight, restarted on
 * the same folder, and every acknowledged write is checked: runs, metric points, artifacts (by
 * SHA-256), tag values, evaluations (a whole set, at least as new as the last acknowledged one).
 * Exits non-zero on any 5xx or any acknowledged write missing.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { killGroup, startServer, stopServer, type ServerProcess } from '../helpers/server';
import { tempDir } from '../helpers/tmp';
import { memoryOf } from './memory';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
const CLIENTS = 12;
const THINK_MS = Number(process.env.SOAK_THINK_MS ?? 20);
const POOL = Number(process.env.SOAK_POOL ?? 400);
/** The first runs are never deleted: evaluations go to them, several at once. */
const KEEP = 5;
const ML = '/api/modellab';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let port = 0;

function call(method: string, path: string, body?: string | Buffer, contentType = 'application/json'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) };
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
const json = (method: string, path: string, body?: unknown) => call(method, path, body === undefined ? undefined : JSON.stringify(body));

function multipart(fields: Record<string, string>, file: { name: string; content: Buffer }): { body: Buffer; type: string } {
  const boundary = `----soak${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`), file.content, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

// ---------------------------------------------------------------- what was acknowledged

const acked = {
  runs: new Set<string>(),
  points: new Map<string, number>(), // runId → points acknowledged
  artifacts: new Map<string, string>(), // runId/path → sha256 (each path written once)
  tags: new Map<string, { sent: string[]; lastAcked: number }>(), // runId/key → values in the order sent by its one client
  evaluations: new Map<string, string>(), // runId → createdAt of the newest acknowledged evaluation
  deleted: new Set<string>(), // runs whose delete was sent: nothing of theirs is checked (one cut off by the kill may or may not have happened)
};
const deletesAnswered = new Set<string>();
const KINDS = ['create', 'metrics', 'search', 'artifact', 'evaluate', 'tag', 'delete'] as const;
type Kind = (typeof KINDS)[number];
const WEIGHTS: Record<Kind, number> = { create: 10, metrics: 30, search: 20, artifact: 10, evaluate: 8, tag: 22, delete: 0 };
const counts = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
const nonOk: Record<string, number> = {};
const failures: string[] = [];

const labels = Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? 'pos' : 'neg'));
function evaluationBody(seed: number) {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return JSON.stringify({
    predictions: labels.map((l) => (rand() < 0.8 ? l : l === 'pos' ? 'neg' : 'pos')),
    labels,
    data: labels.map((_, i) => ({ group: `g${i % 4}` })),
    config: { taskType: 'classification', classes: ['neg', 'pos'], sliceAttributes: ['group'], bootstrap: { resamples: 200, seed } },
  });
}

const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;
function chooseKind(): Kind {
  let r = Math.random() * Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  for (const k of KINDS) if ((r -= WEIGHTS[k]) < 0) return k;
  return 'search';
}

async function step(client: number, seq: number, shared: string[]): Promise<void> {
  let kind = chooseKind();
  if (shared.length < 5) kind = 'create';
  counts[kind]++;
  let res: { status: number; text: string };
  switch (kind) {
    case 'create': {
      res = await json('POST', `${ML}/runs`, { name: `soak-${client}-${seq}`, status: 'running', hyperparameters: { lr: Math.random(), depth: seq % 12, client }, tags: { client: String(client) } });
      if (res.status === 201) {
        const id = (JSON.parse(res.text) as { id: string }).id;
        acked.runs.add(id);
        shared.push(id);
        if (shared.length > POOL) {
          const [victim] = shared.splice(KEEP, 1);
          counts.delete++;
          acked.deleted.add(victim!);
          const gone = await json('DELETE', `${ML}/runs/${victim}`);
          if (gone.status === 204) deletesAnswered.add(victim!);
          else tally('delete', gone);
        }
      }
      break;
    }
    case 'metrics': {
      const runId = pick(shared);
      const metrics = Array.from({ length: 50 }, (_, i) => ({ key: i % 2 ? 'loss' : 'acc', value: Math.random(), step: seq * 50 + i }));
      res = await json('POST', `${ML}/runs/${runId}/metrics`, { metrics });
      if (res.status === 201) acked.points.set(runId, (acked.points.get(runId) ?? 0) + metrics.length);
      break;
    }
    case 'search': {
      const filter = encodeURIComponent(pick(["status = 'running' and params.depth > 5", 'metrics.loss < 0.5', "name LIKE 'soak-1%'", `tags.client = '${client}'`]));
      res = await call('GET', `${ML}/runs?filter=${filter}&sort=${pick(['metrics.loss:asc', 'createdAt:desc', 'name:asc'])}&limit=50`);
      break;
    }
    case 'artifact': {
      const runId = pick(shared);
      const content = Buffer.alloc(64 * 1024, `${client}-${seq}-`);
      const path = `c${client}/s${seq}.bin`;
      const form = multipart({ category: 'checkpoints', path }, { name: 's.bin', content });
      res = await call('POST', `${ML}/artifacts/${runId}`, form.body, form.type);
      if (res.status === 201) acked.artifacts.set(`${runId}/checkpoints/${path}`, createHash('sha256').update(content).digest('hex'));
      break;
    }
    case 'evaluate': {
      // Few runs, so that evaluations of one run overlap (the race this soak first found).
      const runId = shared[seq % 3]!;
      res = await call('POST', `${ML}/runs/${runId}/evaluate`, evaluationBody(client * 100_000 + seq));
      if (res.status === 200) {
        const createdAt = (JSON.parse(res.text) as { metrics: { createdAt: string } }).metrics.createdAt;
        if ((acked.evaluations.get(runId) ?? '') < createdAt) acked.evaluations.set(runId, createdAt);
      }
      break;
    }
    case 'tag': {
      const runId = pick(shared);
      const key = `c${client}`;
      const entry = acked.tags.get(`${runId}/${key}`) ?? { sent: [], lastAcked: -1 };
      acked.tags.set(`${runId}/${key}`, entry);
      const value = `v${seq}`;
      entry.sent.push(value);
      res = await json('PUT', `${ML}/runs/${runId}`, { tags: { [key]: value } });
      if (res.status === 200) entry.lastAcked = entry.sent.length - 1;
      break;
    }
    case 'delete':
      return; // only with creates, above
  }
  tally(kind, res);
}

function tally(kind: Kind, res: { status: number; text: string }): void {
  if (res.status < 300) return;
  nonOk[`${kind} ${res.status}`] = (nonOk[`${kind} ${res.status}`] ?? 0) + 1;
  if (res.status >= 500) failures.push(`${kind} ${res.status} ${res.text.slice(0, 200)}`);
}

// ---------------------------------------------------------------- the run

const tmp = await tempDir('modellab-soak-');
let server: ServerProcess = await startServer({ dataDir: tmp.dir, env: process.env.SOAK_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SOAK_NODE_OPTIONS } : {} });
port = Number(new URL(server.url).port);
const pid = server.child.pid!;
console.log(`soak: ${CLIENTS} clients, ${SECONDS} s, think time ${THINK_MS} ms, node ${process.version}, data in ${tmp.dir}`);
console.log(`mix (weights): ${KINDS.filter((k) => WEIGHTS[k]).map((k) => `${k} ${WEIGHTS[k]}`).join(', ')}; evaluations: 2,000 examples × 200 resamples, 4 slices; past ${POOL} live runs each create deletes the oldest (404s from requests racing a delete are expected)`);

const started = Date.now();
const deadline = started + SECONDS * 1000;
let stopping = false;
const shared: string[] = [];
const rssSeries: { t: number; rss: number }[] = [];

const clients = Array.from({ length: CLIENTS }, async (_, client) => {
  for (let seq = 0; !stopping; seq++) {
    try {
      await step(client, seq, shared);
    } catch (error) {
      if (!stopping) failures.push(`client ${client}: ${(error as Error).message}`);
      return;
    }
    await new Promise((r) => setTimeout(r, THINK_MS));
  }
});

let lastCounts = { ...counts };
const ticker = setInterval(() => {
  const t = Math.round((Date.now() - started) / 1000);
  const { rss } = memoryOf(pid);
  rssSeries.push({ t, rss });
  const interval = KINDS.map((k) => `${k} ${counts[k] - lastCounts[k]}`).join(', ');
  lastCounts = { ...counts };
  const bad = Object.keys(nonOk).length ? JSON.stringify(nonOk) : 'none';
  console.log(`t=${String(t).padStart(4)} s  RSS ${rss.toFixed(0)} MB  last 10 s: ${interval}  non-2xx so far: ${bad}`);
}, 10_000);

await new Promise((r) => setTimeout(r, deadline - Date.now()));
clearInterval(ticker);
const total = Object.values(counts).reduce((a, b) => a + b, 0);

// SIGKILL with requests in flight: only what was answered before counts as acknowledged.
stopping = true;
killGroup(server.child, 'SIGKILL');
await server.exited;
await Promise.all(clients);
const elapsed = (Date.now() - started) / 1000;
console.log(`\nrequests: ${total} in ${elapsed.toFixed(0)} s (${(total / elapsed).toFixed(0)}/s): ${KINDS.map((k) => `${k} ${counts[k]}`).join(', ')}`);
console.log(`non-2xx by kind and status: ${Object.keys(nonOk).length ? JSON.stringify(nonOk) : 'none'}; 5xx: ${failures.filter((f) => / 5\d\d /.test(f)).length}`);
const warm = rssSeries.filter((s) => s.t >= Math.min(60, SECONDS / 2));
if (warm.length >= 2) {
  const first = warm[0]!;
  const last = warm.at(-1)!;
  const max = Math.max(...warm.map((s) => s.rss));
  console.log(`server RSS after warm-up: ${first.rss.toFixed(0)} MB at ${first.t} s → ${last.rss.toFixed(0)} MB at ${last.t} s (max ${max.toFixed(0)} MB; ${((last.rss - first.rss) / ((last.t - first.t) / 60)).toFixed(1)} MB/min)`);
}

// ---------------------------------------------------------------- after the kill: every acknowledged write

agent.destroy();
server = await startServer({ dataDir: tmp.dir });
port = Number(new URL(server.url).port);
const lost: string[] = [];
const runs = new Map<string, { tags: Record<string, string> }>();
const alive = (runId: string) => !acked.deleted.has(runId);
for (const id of [...acked.runs].filter(alive)) {
  const res = await json('GET', `${ML}/runs/${id}`);
  if (res.status !== 200) lost.push(`run ${id}: ${res.status}`);
  else runs.set(id, JSON.parse(res.text) as { tags: Record<string, string> });
}
let points = 0;
let artifactsChecked = 0;
for (const [runId, count] of [...acked.points].filter(([runId]) => alive(runId))) {
  const res = JSON.parse((await json('GET', `${ML}/runs/${runId}/metrics`)).text) as { items: { count: number }[] };
  const stored = res.items.reduce((n, s) => n + s.count, 0);
  points += count;
  if (stored < count) lost.push(`metrics of ${runId}: ${stored} stored < ${count} acknowledged`);
}
const listings = new Map<string, Map<string, string>>();
for (const [key, sha] of acked.artifacts) {
  const runId = key.slice(0, key.indexOf('/'));
  if (!alive(runId)) continue;
  artifactsChecked++;
  if (!listings.has(runId)) {
    const items = (JSON.parse((await json('GET', `${ML}/artifacts/${runId}`)).text) as { items: { path: string; sha256: string }[] }).items;
    listings.set(runId, new Map(items.map((a) => [a.path, a.sha256])));
  }
  const stored = listings.get(runId)!.get(key.slice(runId.length + 1));
  if (stored !== sha) lost.push(`artifact ${key}: ${stored ?? 'missing'}`);
}
let tags = 0;
for (const [key, entry] of acked.tags) {
  const [runId, tag] = key.split('/') as [string, string];
  if (entry.lastAcked < 0 || !alive(runId)) continue;
  tags++;
  const stored = runs.get(runId)?.tags[tag];
  // The last acknowledged value, or one sent after it whose answer the kill cut off.
  if (stored === undefined || entry.sent.lastIndexOf(stored) < entry.lastAcked) lost.push(`tag ${key}: ${stored} (last acknowledged ${entry.sent[entry.lastAcked]})`);
}
for (const [runId, createdAt] of [...acked.evaluations].filter(([runId]) => alive(runId))) {
  const read = async (name: string) => {
    const res = await call('GET', `${ML}/artifacts/${runId}/download/evaluations/${name}`);
    return res.status === 200 ? (JSON.parse(res.text) as Record<string, unknown>) : null;
  };
  const [metrics, failureExamples, predictions] = [await read('metrics.json'), await read('failure_examples.json'), await read('predictions.json')];
  if (!metrics || !failureExamples || !predictions) lost.push(`evaluation of ${runId}: a document is missing`);
  else {
    if ((metrics.createdAt as string) < createdAt) lost.push(`evaluation of ${runId}: ${metrics.createdAt as string} older than acknowledged ${createdAt}`);
    const wrong = (predictions.predictions as number[]).filter((p, i) => p !== (predictions.labels as number[])[i]).length;
    if (wrong !== failureExamples.total) lost.push(`evaluation of ${runId}: documents from different evaluations`);
  }
}
const deleteAcked = [...acked.deleted].filter((id) => deletesAnswered.has(id));
for (const id of deleteAcked) if ((await json('GET', `${ML}/runs/${id}`)).status !== 404) lost.push(`run ${id}: deleted, but back after the restart`);
console.log(
  `after SIGKILL and restart: ${acked.runs.size - acked.deleted.size} runs (and ${acked.deleted.size} deletes), ${points} metric points, ${artifactsChecked} artifacts, ${tags} tag values, ${acked.evaluations.size} runs' latest evaluations acknowledged — ${lost.length === 0 ? 'all present' : `${lost.length} MISSING`}`,
);
for (const l of lost.slice(0, 20)) console.log(`  lost: ${l}`);
for (const f of failures.slice(0, 20)) console.log(`  failure: ${f}`);
await stopServer(server);
await tmp.cleanup();
process.exit(lost.length === 0 && failures.length === 0 ? 0 : 1);
