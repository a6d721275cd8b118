/**
 * The artifact and dataset APIs with their files in an S3-compatible bucket (s3rver in its own
 * process): what lands in the bucket, what comes back, and what is left after failures and deletes.
 */
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import http, { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { testApp, type TestApp } from '../helpers/app';
import { TEST_CREDENTIALS, useS3 } from '../helpers/s3';
import { S3Blobs } from '../../api/storage';

const s3 = useS3();
let t: TestApp;
let prefix: string;
let runId: string;
beforeEach(async () => {
  prefix = `t${randomBytes(4).toString('hex')}`;
  t = await testApp({ blobs: s3().blobs(prefix), maxUploadBytes: 32 * 1024 * 1024 });
  runId = (await request(t.app).post('/api/modellab/runs').send({ name: 'r' })).body.id;
});
afterEach(async () => {
  await t.cleanup();
});

/** Every file under `dir` (recursively), relative to it. */
const filesUnder = async (dir: string): Promise<string[]> =>
  (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const keys = async () => (await s3().keys(`${prefix}/`)).map((k) => k.slice(prefix.length + 1));
const binary = (req: request.Test) =>
  req.buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });
const upload = (content: Buffer, filename: string, fields: Record<string, string> = {}, query = '') => {
  let req = request(t.app).post(`/api/modellab/artifacts/${runId}${query}`);
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  return req.attach('file', content, filename);
};

describe('artifacts in a bucket', () => {
  it('stores an upload as an object with its SHA-256, and serves it whole, by Range, by HEAD and with 304', async () => {
    const weights = randomBytes(10 * 1024 * 1024 + 17); // a multipart upload (8 MB parts)
    const res = await upload(weights, 'model.pt', { path: 'epoch-1/model.pt' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ path: 'checkpoints/epoch-1/model.pt', size: weights.length, sha256: sha256(weights) });
    expect(await keys()).toEqual([`artifacts/${runId}/checkpoints/epoch-1/model.pt`]);
    const url = `/api/modellab/artifacts/${runId}/download/checkpoints/epoch-1/model.pt`;
    const whole = await binary(request(t.app).get(url));
    expect(whole.status).toBe(200);
    expect(whole.headers.etag).toBe(`"${sha256(weights)}"`);
    expect(sha256(whole.body as Buffer)).toBe(sha256(weights));
    const part = await binary(request(t.app).get(url).set('Range', 'bytes=8388600-8388615'));
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 8388600-8388615/${weights.length}`);
    expect((part.body as Buffer).equals(weights.subarray(8388600, 8388616))).toBe(true);
    const head = await request(t.app).head(url);
    expect([head.status, head.headers['content-length']]).toEqual([200, String(weights.length)]);
    expect((await request(t.app).get(url).set('If-None-Match', `"${sha256(weights)}"`)).status).toBe(304);
    expect((await request(t.app).get(url).set('Range', `bytes=${weights.length}-`)).status).toBe(416);
  });

  it('answers 409 for an existing path unless overwrite=true, and 409 for a path under a file', async () => {
    expect((await upload(Buffer.from('one'), 'a.txt')).status).toBe(201);
    const again = await upload(Buffer.from('two'), 'a.txt');
    expect([again.status, again.body.error.code]).toEqual([409, 'conflict']);
    expect((await upload(Buffer.from('two'), 'a.txt', {}, '?overwrite=true')).status).toBe(201);
    expect((await binary(request(t.app).get(`/api/modellab/artifacts/${runId}/download/reports/a.txt`))).body.toString()).toBe('two');
    const under = await upload(Buffer.from('x'), 'b.txt', { category: 'reports', path: 'a.txt/b.txt' });
    expect([under.status, under.body.error.code]).toEqual([409, 'conflict']);
    expect(await keys()).toEqual([`artifacts/${runId}/reports/a.txt`]);
  });

  it('lists objects put in the bucket by hand too, hashed once and recorded; forgets records whose object is gone', async () => {
    await upload(Buffer.from('kept'), 'notes.txt');
    const blobs = new S3Blobs({ bucket: s3().bucket, prefix: `${prefix}/` }, { endpoint: s3().endpoint, credentials: TEST_CREDENTIALS });
    await blobs.client.send(new PutObjectCommand({ Bucket: s3().bucket, Key: `${prefix}/artifacts/${runId}/plots/by-hand.png`, Body: 'png!' }));
    const listed = await request(t.app).get(`/api/modellab/artifacts/${runId}`);
    expect(listed.body.items.map((a: { path: string; sha256: string }) => [a.path, a.sha256])).toEqual([
      ['plots/by-hand.png', sha256('png!')],
      ['reports/notes.txt', sha256('kept')],
    ]);
    await blobs.delete(`artifacts/${runId}/reports/notes.txt`);
    expect((await request(t.app).get(`/api/modellab/artifacts/${runId}`)).body.items.map((a: { path: string }) => a.path)).toEqual(['plots/by-hand.png']);
    expect(await t.store.getArtifact(runId, 'reports/notes.txt')).toBeNull();
    blobs.client.destroy();
  });

  it('deletes one object, and every object of a run when the run is deleted', async () => {
    await upload(Buffer.from('a'), 'a.txt');
    await upload(Buffer.from('b'), 'b.png');
    expect((await request(t.app).delete(`/api/modellab/artifacts/${runId}/download/reports/a.txt`)).status).toBe(204);
    expect(await keys()).toEqual([`artifacts/${runId}/plots/b.png`]);
    expect((await request(t.app).delete(`/api/modellab/runs/${runId}`)).status).toBe(204);
    expect(await keys()).toEqual([]);
  });

  it('refuses path tricks with 400 and writes nothing', async () => {
    for (const evil of ['../x.txt', 'a/../../x.txt', '%2e%2e/x.txt', 'a\\b.txt', 'a//b.txt']) {
      const res = await upload(Buffer.from('x'), 'x.txt', { path: evil });
      expect(res.status, evil).toBe(400);
    }
    expect((await request(t.app).get(`/api/modellab/artifacts/${runId}/download/reports/..%2F..%2Fx`)).status).toBe(400);
    expect(await keys()).toEqual([]);
  });

  it('streams an upload placed by the fields before its file straight to the bucket: parts go up while it arrives, nothing is written to the data folder', async () => {
    const server = createServer(t.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const data = randomBytes(24 * 1024 * 1024);
      const boundary = 'modellabboundary';
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\ncheckpoints\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="model.pt"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const req = http.request({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        method: 'POST',
        path: `/api/modellab/artifacts/${runId}`,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + data.length + tail.length },
      });
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        req.on('response', (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
      });
      req.write(head);
      req.write(data.subarray(0, 20 * 1024 * 1024));
      // Two parts' worth sent: the multipart upload has begun while the request is still open.
      await expect.poll(() => s3().pendingUploads(), { timeout: 10_000 }).toHaveLength(1);
      expect(await filesUnder(path.join(t.dir, 'artifacts'))).toEqual([]);
      expect(await keys()).toEqual([]); // not visible yet
      req.end(Buffer.concat([data.subarray(20 * 1024 * 1024), tail]));
      const { status, body } = await answer;
      expect(status).toBe(201);
      expect(JSON.parse(body).sha256).toBe(sha256(data));
      expect(await keys()).toEqual([`artifacts/${runId}/checkpoints/model.pt`]);
      expect(await s3().pendingUploads()).toEqual([]);
      expect(((await binary(request(t.app).get(`/api/modellab/artifacts/${runId}/download/checkpoints/model.pt`))).body as Buffer).equals(data)).toBe(true);
    } finally {
      server.close();
    }
  });

  it('refuses a category or path sent after a streamed file (it was placed already) with 400, and leaves nothing in the bucket', async () => {
    const res = await request(t.app).post(`/api/modellab/artifacts/${runId}`).attach('file', randomBytes(10 * 1024 * 1024), 'model.pt').field('category', 'reports'); // model.pt alone goes to checkpoints/
    expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request']);
    expect(res.body.error.message).toMatch(/before the file/);
    expect(await keys()).toEqual([]);
    expect(await s3().pendingUploads()).toEqual([]);
    expect(await t.store.listArtifacts(runId)).toEqual([]);
  });

  it('answers 404 for an upload to a missing run before storing anything, and 413 over the limit with the parts removed', async () => {
    const missing = await request(t.app).post('/api/modellab/artifacts/no-such-run').field('category', 'checkpoints').attach('file', randomBytes(1024), 'm.pt');
    expect(missing.status).toBe(404);
    const big = await upload(randomBytes(40 * 1024 * 1024), 'big.pt', { category: 'checkpoints' }).catch((error: { response?: request.Response }) => error.response!);
    expect(big.status).toBe(413);
    expect(await keys()).toEqual([]);
    expect(await s3().pendingUploads()).toEqual([]);
  });

  it('answers 503 when the bucket fails during an upload: the multipart upload is aborted, nothing is stored or recorded', async () => {
    const res = await upload(randomBytes(20 * 1024 * 1024), 'fail-part-2.bin', { category: 'checkpoints' });
    expect([res.status, res.body.error.code]).toEqual([503, 'artifact_store_unavailable']);
    expect(await keys()).toEqual([]);
    expect(await s3().pendingUploads()).toEqual([]);
    expect(await t.store.listArtifacts(runId)).toEqual([]);
  });

  it('writes evaluation documents to the bucket and keeps the previous ones under history/', async () => {
    const body = {
      predictions: ['a', 'b', 'a', 'b'],
      labels: ['a', 'b', 'b', 'b'],
      config: { taskType: 'classification', classes: ['a', 'b'], bootstrap: { resamples: 50, seed: 1 } },
    };
    expect((await request(t.app).post(`/api/modellab/runs/${runId}/evaluate`).send(body)).status).toBe(200);
    expect((await request(t.app).post(`/api/modellab/runs/${runId}/evaluate`).send({ ...body, predictions: body.labels })).status).toBe(200);
    const stored = await keys();
    for (const name of ['metrics.json', 'slices.json', 'failure_examples.json', 'predictions.json']) {
      expect(stored).toContain(`artifacts/${runId}/evaluations/${name}`);
      expect(stored.filter((k) => k.startsWith(`artifacts/${runId}/evaluations/history/`) && k.endsWith(`/${name}`))).toHaveLength(1);
    }
    const metrics = await request(t.app).get(`/api/modellab/runs/${runId}/evaluation`);
    expect(metrics.body.metrics.metrics.accuracy.value).toBe(1); // read back from the bucket: the second evaluation, all right
  });

  it('serves the MLflow artifact proxy from the bucket', async () => {
    const A = '/api/2.0/mlflow-artifacts/artifacts';
    const base = `${A}/0/${runId}/artifacts`;
    const model = randomBytes(1000);
    expect((await request(t.app).put(`${base}/model/model.pkl`).set('content-type', 'application/octet-stream').send(model)).status).toBe(200);
    expect((await request(t.app).get(A).query({ path: `0/${runId}/artifacts/model` })).body).toEqual({ files: [{ path: 'model.pkl', is_dir: false, file_size: 1000 }] });
    expect(((await binary(request(t.app).get(`${base}/model/model.pkl`))).body as Buffer).equals(model)).toBe(true);
    expect(await keys()).toEqual([`artifacts/${runId}/other/model/model.pkl`]);
  });

  it('reports the bucket in the health check', async () => {
    const res = await request(t.app).get('/api/modellab/health');
    expect(res.body).toMatchObject({ status: 'ok', store: 'json', artifacts: 's3' });
  });
});

describe('datasets in a bucket', () => {
  const csv = 'age,label\n31,1\n42,0\n27,1\n';
  const uploadDataset = (content: string, filename: string) => request(t.app).post('/api/modellab/datasets').attach('file', Buffer.from(content), filename);

  it('stores a version as an object, previews and downloads it from there, and deletes it', async () => {
    const res = await uploadDataset(csv, 'people.csv');
    expect(res.status).toBe(201);
    const id = res.body.id;
    expect(await keys()).toEqual([`datasets/${id}/people.csv`]);
    const preview = await request(t.app).get(`/api/modellab/datasets/${id}/preview`).query({ limit: 2 });
    expect(preview.body.rows).toEqual([
      { age: 31, label: 1 },
      { age: 42, label: 0 },
    ]);
    const download = await request(t.app).get(`/api/modellab/datasets/${id}/download`);
    expect([download.status, download.text, download.headers['content-length']]).toEqual([200, csv, String(csv.length)]);
    expect((await request(t.app).delete(`/api/modellab/datasets/${id}`)).status).toBe(204);
    expect(await keys()).toEqual([]);
  });

  it('leaves nothing in the bucket for a refused or deduplicated upload', async () => {
    expect((await uploadDataset('\u0000\u0001binary', 'bad.csv')).status).toBe(415);
    expect(await keys()).toEqual([]);
    const first = await uploadDataset(csv, 'people.csv');
    const again = await uploadDataset(csv, 'people.csv');
    expect(again.body).toMatchObject({ id: first.body.id, deduplicated: true });
    expect(await keys()).toEqual([`datasets/${first.body.id}/people.csv`]);
  });
});

describe('health with a bucket that does not answer', () => {
  it('answers 503 unavailable naming the reason', async () => {
    const dead = new S3Blobs({ bucket: 'modellab-test', prefix: '' }, { endpoint: 'http://127.0.0.1:9', credentials: TEST_CREDENTIALS });
    const app = await testApp({ blobs: dead });
    try {
      const res = await request(app.app).get('/api/modellab/health');
      expect([res.status, res.body.error.code]).toEqual([503, 'unavailable']);
    } finally {
      await app.cleanup();
      dead.client.destroy();
    }
  });
});
