/**
 * npm run bench:datasets — uploads a generated 2,000,000-row (~120 MB) CSV through the HTTP API of a
 * real server process and prints the upload time (checksum + full-file schema and statistics), the
 * server's peak RSS growth, and, when Debian's python3-pandas is installed, pandas.read_csv's time on
 * the same file with the ratio. Target on a 2-core machine: ≤ 1.5× pandas, ≤ 200 MB RSS growth.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { memoryOf, settledMemoryOf } from './memory';
import { ROOT, startServer, stopServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';
import { writeBenchCsv } from './makeCsv';

const ROWS = Number(process.env.BENCH_ROWS ?? 2_000_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const file = path.join(ROOT, 'tests/.tmp', `bench-${ROWS}.csv`);

/**
 * POSTs fields and a file as multipart/form-data, streaming the file from disk (as curl -F does):
 * the client should cost the shared CPUs as little as possible, so the time is the server's.
 */
function postMultipart(url: string, fields: Record<string, string>, filePath: string): Promise<{ status: number; body: unknown }> {
  const boundary = `----modellab-bench-${Date.now()}`;
  const head = Buffer.from(
    Object.entries(fields)
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('') + `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path.basename(filePath)}"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + statSync(filePath).size + tail.length },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as unknown }));
    });
    req.write(head);
    const stream = createReadStream(filePath, { highWaterMark: 1024 * 1024 });
    stream.on('error', reject);
    stream.pipe(req, { end: false });
    stream.on('end', () => req.end(tail));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await mkdir(path.dirname(file), { recursive: true });
if (!existsSync(file)) {
  console.log(`generating ${file} …`);
  await writeBenchCsv(file, ROWS);
}
const sizeMb = statSync(file).size / 1024 / 1024;
console.log(`dataset: ${ROWS.toLocaleString('en-US')} rows, ${sizeMb.toFixed(1)} MB, node ${process.version}, ${REPEATS} upload(s)`);

const python = ['/usr/bin/python3', 'python3'].find((p) => {
  try {
    execFileSync(p, ['-c', 'import pandas'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
/** pandas.read_csv's time on the file (a fresh interpreter; only the read is timed). */
const pandasRead = (): { seconds: number; version: string } => {
  const [seconds, version] = execFileSync(python!, ['-c', `import pandas as pd, time\nt = time.perf_counter(); pd.read_csv(${JSON.stringify(file)}); print(time.perf_counter() - t, pd.__version__)`])
    .toString()
    .trim()
    .split(' ');
  return { seconds: Number(seconds), version: version! };
};

// Rounds alternate an upload and pandas' read, so drift in the shared machine's speed hits both alike.
const uploads: number[] = [];
const growth: number[] = [];
const pandasTimes: number[] = [];
let pandasVersion = '';
for (let i = 0; i < REPEATS; i++) {
  const tmp = await tempDir('modellab-bench-ds-');
  const server = await startServer({ dataDir: tmp.dir });
  const pid = server.child.pid!;
  await fetch(`${server.url}/api/modellab/health`); // warm
  const before = await settledMemoryOf(pid);
  const started = performance.now();
  const res = await postMultipart(`${server.url}/api/modellab/datasets`, { name: `bench-${i}` }, file);
  const body = res.body as { rowCount?: number; checksum?: string; columnCount?: number; error?: unknown };
  const seconds = (performance.now() - started) / 1000;
  const after = memoryOf(pid);
  await stopServer(server);
  await tmp.cleanup();
  if (res.status !== 201 || body.rowCount !== ROWS) throw new Error(`upload failed: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  uploads.push(seconds);
  growth.push(after.peak - before.rss);
  let reference = '';
  if (python) {
    const pandas = pandasRead();
    pandasTimes.push(pandas.seconds);
    pandasVersion = pandas.version;
    reference = `; pandas.read_csv ${pandas.seconds.toFixed(2)} s (${(seconds / pandas.seconds).toFixed(2)}x)`;
  }
  console.log(
    `round ${i + 1}: upload ${seconds.toFixed(2)} s (${(sizeMb / seconds).toFixed(1)} MB/s), peak RSS growth ${(after.peak - before.rss).toFixed(0)} MB (RSS before ${before.rss.toFixed(0)} MB, peak ${after.peak.toFixed(0)} MB), ` +
      `${body.rowCount} rows × ${body.columnCount} columns, sha256 ${body.checksum?.slice(0, 12)}${reference}`,
  );
}
const upload = median(uploads);
console.log(`median upload (checksum + full schema and statistics): ${upload.toFixed(2)} s; max peak RSS growth ${Math.max(...growth).toFixed(0)} MB (target ≤ 200 MB)`);
if (!python) {
  console.log('pandas reference: not available (apt-get install python3-pandas to compare)');
} else {
  const pandas = median(pandasTimes);
  console.log(`pandas ${pandasVersion} read_csv (median of ${REPEATS}): ${pandas.toFixed(2)} s`);
  console.log(`ratio upload / pandas.read_csv (medians): ${(upload / pandas).toFixed(2)}x (target ≤ 1.5x)`);
}
