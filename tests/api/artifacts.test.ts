import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app';
import { snapshotDir } from '../helpers/snapshot';

let t: TestApp;
let runId: string;
beforeEach(async () => {
  t = await testApp({ maxUploadBytes: 256 * 1024 });
  runId = (await request(t.app).post('/api/modellab/runs').send({ name: 'r' })).body.id;
});
afterEach(async () => {
  await t.cleanup();
});

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const WEIGHTS = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));

function upload(content: Buffer | string, filename: string, fields: Record<string, string> = {}, query = '') {
  let req = request(t.app).post(`/api/modellab/artifacts/${runId}${query}`);
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  return req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), filename);
}

const binary = (req: request.Test) =>
  req.buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });

describe('POST /api/modellab/artifacts/:runId', () => {
  it.each([
    ['model.pt', 'checkpoints'],
    ['weights.safetensors', 'checkpoints'],
    ['loss.png', 'plots'],
    ['chart.SVG', 'plots'],
    ['metrics.json', 'evaluations'],
    ['report.md', 'reports'],
    ['notes.txt', 'reports'],
    ['data.parquet', 'other'],
  ])('puts %s in %s by default, with size, sha256 and content type', async (filename, category) => {
    const res = await upload(WEIGHTS, filename);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ runId, path: `${category}/${filename}`, category, size: WEIGHTS.length, sha256: sha256(WEIGHTS) });
    expect(readFileSync(path.join(t.dir, 'artifacts', runId, category, filename))).toEqual(WEIGHTS);
  });

  it('takes an explicit category and a path with sub-folders', async () => {
    const res = await upload(WEIGHTS, 'model.pt', { category: 'other', path: 'epoch-3/best/model.pt' });
    expect(res.status).toBe(201);
    expect(res.body.path).toBe('other/epoch-3/best/model.pt');
    expect(existsSync(path.join(t.dir, 'artifacts', runId, 'other', 'epoch-3', 'best', 'model.pt'))).toBe(true);
  });

  it('answers 409 for an existing path unless overwrite=true', async () => {
    await upload('one', 'a.txt');
    const again = await upload('two', 'a.txt');
    expect(again.status).toBe(409);
    expect(readFileSync(path.join(t.dir, 'artifacts', runId, 'reports', 'a.txt'), 'utf8')).toBe('one');
    const replaced = await upload('two', 'a.txt', {}, '?overwrite=true');
    expect(replaced.status).toBe(201);
    expect(replaced.body.sha256).toBe(sha256('two'));
    expect(readFileSync(path.join(t.dir, 'artifacts', runId, 'reports', 'a.txt'), 'utf8')).toBe('two');
  });

  it('answers 404 for an unknown run and 400 for an unknown category', async () => {
    const unknown = await request(t.app).post('/api/modellab/artifacts/nope').attach('file', WEIGHTS, 'm.pt');
    expect(unknown.status).toBe(404);
    expect((await upload(WEIGHTS, 'm.pt', { category: 'secrets' })).status).toBe(400);
  });

  it('refuses a file over MODELLAB_MAX_UPLOAD_MB with 413 and leaves nothing behind', async () => {
    const before = await snapshotDir(t.dir);
    const res = await upload(Buffer.alloc(300 * 1024, 1), 'big.bin');
    expect(res.status).toBe(413);
    expect(await snapshotDir(t.dir)).toEqual(before);
  });

  it.each([
    '../evil.pt',
    'a/../../evil.pt',
    '/etc/passwd',
    'C:/windows/evil.pt',
    'a\\..\\evil.pt',
    'a/%2e%2e/evil.pt',
    '%2E%2E/evil.pt',
    'a%2fb.pt',
    '%252e%252e/evil.pt',
    'nul\u0000byte.pt',
    'a//b.pt',
    './x.pt',
  ])('refuses the path %j with 400 and writes nothing', async (bad) => {
    const before = await snapshotDir(t.dir);
    const res = await upload(WEIGHTS, 'm.pt', { path: bad });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^path: /);
    expect(await snapshotDir(t.dir)).toEqual(before);
  });

  it('refuses a path whose folder is a symlink leading out of the run folder', async () => {
    const outside = path.join(t.dir, 'outside');
    mkdirSync(outside);
    mkdirSync(path.join(t.dir, 'artifacts', runId, 'checkpoints'), { recursive: true });
    symlinkSync(outside, path.join(t.dir, 'artifacts', runId, 'checkpoints', 'link'));
    const res = await upload(WEIGHTS, 'm.pt', { path: 'link/m.pt' });
    expect(res.status).toBe(403);
    expect(existsSync(path.join(outside, 'm.pt'))).toBe(false);
  });
});

describe('GET /api/modellab/artifacts/:runId', () => {
  it('lists uploaded files and files written to the folder by other parts of ModelLab', async () => {
    await upload(WEIGHTS, 'model.pt');
    mkdirSync(path.join(t.dir, 'artifacts', runId, 'evaluations'), { recursive: true });
    writeFileSync(path.join(t.dir, 'artifacts', runId, 'evaluations', 'metrics.json'), '{"accuracy": 0.9}');
    const res = await request(t.app).get(`/api/modellab/artifacts/${runId}`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((a: { path: string; sha256: string }) => [a.path, a.sha256])).toEqual([
      ['checkpoints/model.pt', sha256(WEIGHTS)],
      ['evaluations/metrics.json', sha256('{"accuracy": 0.9}')],
    ]);
  });
});

describe('GET /api/modellab/artifacts/:runId/download/<path>', () => {
  beforeEach(async () => {
    await upload(WEIGHTS, 'model.pt', { path: 'epoch 1/model.pt' });
  });
  const url = () => `/api/modellab/artifacts/${runId}/download/checkpoints/epoch%201/model.pt`;

  it('streams the file with type, length, ETag, Last-Modified and Content-Disposition', async () => {
    const res = await binary(request(t.app).get(url()));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(WEIGHTS);
    expect(res.headers).toMatchObject({
      'content-type': 'application/octet-stream',
      'content-length': String(WEIGHTS.length),
      etag: `"${sha256(WEIGHTS)}"`,
      'accept-ranges': 'bytes',
      'content-disposition': `attachment; filename="model.pt"; filename*=UTF-8''model.pt`,
    });
    expect(new Date(res.headers['last-modified']!).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('answers a Range with 206 and exactly those bytes', async () => {
    const res = await binary(request(t.app).get(url()).set('Range', 'bytes=100-199'));
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 100-199/${WEIGHTS.length}`);
    expect(res.body).toEqual(WEIGHTS.subarray(100, 200));
    const suffix = await binary(request(t.app).get(url()).set('Range', 'bytes=-10'));
    expect(suffix.body).toEqual(WEIGHTS.subarray(WEIGHTS.length - 10));
    const open = await binary(request(t.app).get(url()).set('Range', 'bytes=4990-'));
    expect(open.body).toEqual(WEIGHTS.subarray(4990));
  });

  it('answers 416 for a range outside the file', async () => {
    const res = await request(t.app).get(url()).set('Range', 'bytes=6000-7000');
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${WEIGHTS.length}`);
  });

  it('answers HEAD with the headers and no body, and If-None-Match with 304', async () => {
    const head = await request(t.app).head(url());
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(WEIGHTS.length));
    expect(head.text ?? '').toBe('');
    const cached = await request(t.app).get(url()).set('If-None-Match', `"${sha256(WEIGHTS)}"`);
    expect(cached.status).toBe(304);
    const changed = await request(t.app).get(url()).set('If-None-Match', '"other"');
    expect(changed.status).toBe(200);
  });

  it('answers 404 for a missing artifact', async () => {
    expect((await request(t.app).get(`/api/modellab/artifacts/${runId}/download/checkpoints/none.pt`)).status).toBe(404);
  });

  it.each([
    'checkpoints/../../../db.json',
    'checkpoints/%2e%2e/%2e%2e/%2e%2e/db.json',
    'checkpoints/%2E%2E%2F%2E%2E%2Fdb.json',
    'checkpoints/..%2f..%2f..%2fdb.json',
    'checkpoints/%252e%252e/db.json',
    'checkpoints/..%5c..%5cdb.json',
    'checkpoints/a%00b',
    '%2e%2e/%2e%2e/db.json',
  ])('refuses %s with 400 (never reads outside the run folder)', async (bad) => {
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      // node:http sends the path exactly as written (fetch and browsers would normalise it first).
      const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: `/api/modellab/artifacts/${runId}/download/${bad}` }, (r) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c));
          r.on('end', () => resolve({ status: r.statusCode!, text }));
        });
        req.on('error', reject);
      });
      expect(res.status).toBe(400);
      expect(res.text).not.toContain('schemaVersion');
    } finally {
      server.close();
    }
  });

  it('refuses to follow a symlink that leads out of the run folder', async () => {
    symlinkSync(path.join(t.dir, 'db.json'), path.join(t.dir, 'artifacts', runId, 'checkpoints', 'db-link.json'));
    const res = await request(t.app).get(`/api/modellab/artifacts/${runId}/download/checkpoints/db-link.json`);
    expect(res.status).toBe(403);
    expect(res.text).not.toContain('schemaVersion');
  });
});

describe('DELETE /api/modellab/artifacts/:runId/download/<path>', () => {
  it('removes the file and its record', async () => {
    await upload(WEIGHTS, 'model.pt');
    const res = await request(t.app).delete(`/api/modellab/artifacts/${runId}/download/checkpoints/model.pt`);
    expect(res.status).toBe(204);
    expect(existsSync(path.join(t.dir, 'artifacts', runId, 'checkpoints', 'model.pt'))).toBe(false);
    expect((await request(t.app).get(`/api/modellab/artifacts/${runId}`)).body.items).toEqual([]);
    expect((await request(t.app).delete(`/api/modellab/artifacts/${runId}/download/checkpoints/model.pt`)).status).toBe(404);
  });

  it('refuses traversal on delete too', async () => {
    const res = await request(t.app).delete(`/api/modellab/artifacts/${runId}/download/checkpoints/%2e%2e/%2e%2e/db.json`);
    expect(res.status).toBe(400);
    expect(existsSync(path.join(t.dir, 'db.json'))).toBe(true);
  });
});

describe('deleting a run', () => {
  it('removes its artifacts folder and records', async () => {
    await upload(WEIGHTS, 'model.pt');
    expect((await request(t.app).delete(`/api/modellab/runs/${runId}`)).status).toBe(204);
    expect(existsSync(path.join(t.dir, 'artifacts', runId))).toBe(false);
    expect(await t.store.listArtifacts(runId)).toEqual([]);
  });
});
