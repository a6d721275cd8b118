/**
 * npm run bench:artifacts — a 500 MB checkpoint uploaded and downloaded through the HTTP API of a real
 * server process: time, server peak RSS growth in each direction (a fresh server for each), the
 * download compared byte for byte (SHA-256), and `sha256sum` of the same file as the reference.
 * Targets: RSS growth ≤ 64 MB each way, upload ≤ 3× sha256sum.
 */
import { execFileSync } from 'node:child_process';
import { memoryOf, settledMemoryOf } from './memory';
import { startServer, stopServer, type ServerProcess } from '../helpers/server';
import { downloadHash, makeCheckpoint, uploadCheckpoint } from './checkpoint';
import { tempDir } from '../helpers/tmp';

const MB = Number(process.env.BENCH_MB ?? 500);
const file = await makeCheckpoint(MB);
const uploadFile = (server: ServerProcess, runId: string) => uploadCheckpoint(server, runId, file);

const t0 = performance.now();
const reference = execFileSync('sha256sum', [file]).toString().split(' ')[0]!;
const sha256sumSeconds = (performance.now() - t0) / 1000;
console.log(`bench:artifacts — ${MB} MB file, node ${process.version}; sha256sum: ${sha256sumSeconds.toFixed(2)} s`);

const tmp = await tempDir('modellab-bench-art-');
const env = { MODELLAB_MAX_UPLOAD_MB: String(MB + 10) };
let server = await startServer({ dataDir: tmp.dir, env });
const run = await (await fetch(`${server.url}/api/modellab/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"bench"}' })).json() as { id: string };
let before = await settledMemoryOf(server.child.pid!);
let t = performance.now();
const up = await uploadFile(server, run.id);
const uploadSeconds = (performance.now() - t) / 1000;
let after = memoryOf(server.child.pid!);
const stored = JSON.parse(up.body) as { sha256?: string };
console.log(
  `upload: HTTP ${up.status} in ${uploadSeconds.toFixed(2)} s (${(MB / uploadSeconds).toFixed(0)} MB/s), server peak RSS growth ${(after.peak - before.rss).toFixed(0)} MB (target ≤ 64), ` +
    `sha256 ${stored.sha256 === reference ? 'matches sha256sum' : `DIFFERS (${stored.sha256})`}; ratio to sha256sum ${(uploadSeconds / sha256sumSeconds).toFixed(2)}x (target ≤ 3)`,
);
await stopServer(server);

server = await startServer({ dataDir: tmp.dir, env });
before = await settledMemoryOf(server.child.pid!);
t = performance.now();
const down = await downloadHash(server, run.id);
const downloadSeconds = (performance.now() - t) / 1000;
after = memoryOf(server.child.pid!);
console.log(
  `download: HTTP ${down.status}, ${down.bytes} bytes in ${downloadSeconds.toFixed(2)} s (${(MB / downloadSeconds).toFixed(0)} MB/s), server peak RSS growth ${(after.peak - before.rss).toFixed(0)} MB (target ≤ 64), ` +
    `${down.sha256 === reference ? 'byte-identical (same SHA-256)' : 'DIFFERENT CONTENT'}`,
);
await stopServer(server);
await tmp.cleanup();
