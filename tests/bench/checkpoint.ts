/** A large checkpoint file for the artifact benchmarks, and its upload and download through a server's HTTP API (streamed both ways). */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { ROOT, type ServerProcess } from '../helpers/server';

/** tests/.tmp/checkpoint-<mb>mb.bin, made once (distinct 1 MB blocks, cheap to make). */
export async function makeCheckpoint(mb: number): Promise<string> {
  const file = path.join(ROOT, 'tests/.tmp', `checkpoint-${mb}mb.bin`);
  await mkdir(path.dirname(file), { recursive: true });
  if (existsSync(file) && statSync(file).size === mb * 1024 * 1024) return file;
  const out = createWriteStream(file);
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < mb; i++) {
    createHash('sha256').update(String(i)).digest().copy(block, 0);
    for (let j = 32; j < block.length; j += 32) block.copy(block, j, 0, 32);
    if (!out.write(Buffer.from(block))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return file;
}

const port = (s: ServerProcess) => Number(new URL(s.url).port);

/** Streams the file as multipart/form-data with node:http (no client-side buffering). */
export function uploadCheckpoint(server: ServerProcess, runId: string, file: string): Promise<{ status: number; body: string }> {
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

/** Downloads checkpoints/model.pt of the run, hashing it as it arrives. */
export function downloadHash(server: ServerProcess, runId: string): Promise<{ status: number; sha256: string; bytes: number }> {
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
