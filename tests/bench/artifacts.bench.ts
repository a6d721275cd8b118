/**
 * npm run bench:artifacts — a 500 MB checkpoint uploaded and downloaded through the HTTP API of a real
 * server process: time, server peak RSS growth in each direction (a fresh server for each), the
 * download compared byte for byte (SHA-256), and `sha256sum` of the same file as the reference.
 * Targets: RSS growth ≤ 64 MB each way, upload ≤ 3× sha256sum.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { memoryOf, settledMemoryOf } from './memory';
import { ROOT, startServer, stopServer, type ServerProcess } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const MB = Number(process.env.BENCH_MB ?? 500);
const file = path.join(ROOT, 'tests/.tmp', `checkpoint-${MB}mb.bin`);

async function makeFile() {
  await mkdir(path.dirname(file), { recursive: true });
  if (existsSync(file) && statSync(file).size === MB * 1024 * 1024) return;
  const out = createWriteStream(file);
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < MB; i++) {
    createHash('sha256').update(String(i)).digest().copy(block, 0); // distinct blocks, cheap to make
    for (let j = 32; j < block.length; j += 32) block.copy(block, j, 0, 32);
    if (!out.write(Buffer.from(block))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

const port = (s: ServerProcess) => Number(new URL(s.url).port);

/** Streams the file as multipart/form-data with node:http (no client-side buffering). */
function uploadFile(server: ServerProcess, runId: string): Promise<{ status: number; body: string }> {
  const boundary = `----modellab${Date.now()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="model.pt"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + statSync(file).size + tail.length;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: port(server), method: 'POST', path: `/api/modellab/artifacts/${runId}`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.write(head);
    const stream = createReadStream(file, { highWaterMark: 1 << 20 });
    stream.pipe(req, { end: false });
    stream.on('end', () => req.end(tail));
  });
}

function downloadHash(server: ServerProcess, runId: string): Promise<{ status: number; sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: port(server), path: `/api/modellab/artifacts/${runId}/download/checkpoints/model.pt` }, (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          hash.update(c);
          bytes += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode!, sha256: hash.digest('hex'), bytes }));
      })
      .on('error', reject);
  });
}

await makeFile();
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
