import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParallelCsvReader } from '../../api/workers/parallelCsv';
import { testApp, type TestApp } from '../helpers/app';
import { snapshotDir } from '../helpers/snapshot';

let t: TestApp;
beforeEach(async () => {
  t = await testApp({ maxUploadBytes: 64 * 1024 });
});
afterEach(async () => {
  await t.cleanup();
});

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const IRIS_V1 = 'sepal_length,sepal_width,species\n5.1,3.5,setosa\n4.9,3.0,setosa\n6.3,3.3,virginica\n';
const IRIS_V2 = 'sepal_length,species,petal_length\n5.1,setosa,1.4\n4.9,setosa,1.4\n6.3,virginica,6.0\n7.0,versicolor,4.7\n';

function upload(content: string | Buffer, filename = 'iris.csv', fields: Record<string, string> = {}) {
  let req = request(t.app).post('/api/modellab/datasets');
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  return req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), { filename, contentType: 'application/octet-stream' });
}

/** Runs `fn` and checks that the data folder is exactly as before (nothing half-written left behind). */
async function leavesNoTrace(fn: () => Promise<unknown>) {
  const before = await snapshotDir(t.dir);
  await fn();
  expect(await snapshotDir(t.dir)).toEqual(before);
}

describe('POST /api/modellab/datasets', () => {
  it('stores version 1 with checksum, size, format, counts, detected schema and the file on disk', async () => {
    const res = await upload(IRIS_V1, 'iris.csv', { description: 'Fisher 1936', tags: 'flowers, classic' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'iris',
      version: 1,
      checksum: sha256(IRIS_V1),
      sizeBytes: Buffer.byteLength(IRIS_V1),
      format: 'csv',
      originalFilename: 'iris.csv',
      rowCount: 3,
      columnCount: 3,
      parentId: null,
      schemaChanges: null,
      description: 'Fisher 1936',
      tags: ['flowers', 'classic'],
      warnings: [],
      deduplicated: false,
    });
    expect(res.body.schema.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([
      ['sepal_length', 'number'],
      ['sepal_width', 'number'],
      ['species', 'string'],
    ]);
    expect(res.body.schema.columns[0]).toMatchObject({ min: 4.9, max: 6.3, nullCount: 0, distinctCount: 3 });
    const stored = path.join(t.dir, 'datasets', res.body.id, 'iris.csv');
    expect(readFileSync(stored, 'utf8')).toBe(IRIS_V1);
  });

  it('makes version 2 of the same name with its parent and the schema changes', async () => {
    const v1 = (await upload(IRIS_V1)).body;
    const res = await upload(IRIS_V2, 'iris-new.csv', { name: 'iris' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'iris',
      version: 2,
      parentId: v1.id,
      schemaChanges: { added: ['petal_length'], removed: ['sepal_width'], typeChanged: [] },
    });
  });

  it('answers 200 with the existing version and deduplicated: true for identical content', async () => {
    const v1 = (await upload(IRIS_V1)).body;
    await leavesNoTrace(async () => {
      const again = await upload(IRIS_V1);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: v1.id, version: 1, deduplicated: true });
    });
  });

  it('gives concurrent uploads of one name distinct consecutive versions', async () => {
    const results = await Promise.all([1, 2, 3, 4].map((i) => upload(`${IRIS_V1}${i},${i},x\n`)));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(results.map((r) => r.body.version).sort()).toEqual([1, 2, 3, 4]);
  });

  it('accepts tags as a JSON array', async () => {
    const res = await upload(IRIS_V1, 'iris.csv', { tags: '["a","b c"]' });
    expect(res.body.tags).toEqual(['a', 'b c']);
  });

  it.each([
    ['data.tsv', 'a\tb\n1\t2\n', 'tsv'],
    ['data.json', '[{"a": 1, "b": "x"}]', 'json'],
    ['data.jsonl', '{"a": 1}\n{"a": 2}\n', 'jsonl'],
    ['data.ndjson', '{"a": 1}\n', 'jsonl'],
  ])('reads %s as %s', async (filename, content, format) => {
    const res = await upload(content, filename);
    expect(res.status).toBe(201);
    expect(res.body.format).toBe(format);
  });

  it('stores a ragged CSV with a warning that counts the rows and gives their lines', async () => {
    const res = await upload('a,b\n1,2\n3\n4,5\n6,7,8\n', 'ragged.csv');
    expect(res.status).toBe(201);
    expect(res.body.warnings[0]).toMatch(/^2 row\(s\) .*line\(s\) 3, 5/);
  });

  it('sanitises a file name with path separators and control characters', async () => {
    const res = await upload(IRIS_V1, '../../x\u0001y/..\\evil\u0007.csv');
    expect(res.status).toBe(201);
    expect(res.body.originalFilename).toBe('evil.csv');
    expect(existsSync(path.join(t.dir, 'datasets', res.body.id, 'evil.csv'))).toBe(true);
  });
});

describe('POST /api/modellab/datasets with bad input leaves no trace', () => {
  it.each([
    ['an empty file', '', 'empty.csv', 422, /empty/],
    ['a binary file', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'image.csv', 415, /binary/],
    ['invalid UTF-8', Buffer.from('name\nM\xfcller\n', 'latin1'), 'latin1.csv', 422, /UTF-8/],
    ['an unsupported extension', 'a,b\n1,2\n', 'book.xlsx', 415, /\.csv/],
    ['truncated JSON', '[{"a": 1}, {"a": 2', 'cut.json', 422, /truncated.*byte 18/],
    ['invalid JSON Lines', '{"a":1}\n{"a":\n', 'bad.jsonl', 422, /line 2/],
  ])('refuses %s', async (_label, content, filename, status, message) => {
    await leavesNoTrace(async () => {
      const res = await upload(content as string | Buffer, filename);
      expect(res.status).toBe(status);
      expect(res.body.error.message).toMatch(message);
    });
  });

  it('refuses a file over MODELLAB_MAX_UPLOAD_MB with 413', async () => {
    await leavesNoTrace(async () => {
      const big = 'a,b\n' + '123456789,abcdefgh\n'.repeat(10_000); // ~190 KB > 64 KB
      const res = await upload(big, 'big.csv');
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });
  });

  it('refuses a file that violates expectedSchema with 422 listing the violations', async () => {
    await leavesNoTrace(async () => {
      const res = await upload('id,label\n1,a\nx,b\n3,\n', 'labels.csv', {
        expectedSchema: JSON.stringify({ columns: [{ name: 'id', type: 'integer' }, { name: 'label', type: 'string' }, { name: 'weight', type: 'number' }] }),
      });
      expect(res.status).toBe(422);
      expect(res.body.error.details.violations).toEqual([
        { row: null, column: 'weight', value: null, expected: 'number', problem: 'missing_column' },
        { row: 2, column: 'id', value: 'x', expected: 'integer', problem: 'wrong_type' },
        { row: 3, column: 'label', value: null, expected: 'string (not nullable)', problem: 'null_value' },
      ]);
    });
  });

  it('answers 400 for an expectedSchema that is not valid', async () => {
    const res = await upload(IRIS_V1, 'iris.csv', { expectedSchema: '{"columns": [{"name": "a", "type": "float"}]}' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^expectedSchema: columns\.0\.type/);
  });

  it('answers 415 for a body that is not multipart and 400 without a file', async () => {
    const json = await request(t.app).post('/api/modellab/datasets').send({ file: 'a,b' });
    expect(json.status).toBe(415);
    const noFile = await request(t.app).post('/api/modellab/datasets').field('name', 'x');
    expect(noFile.status).toBe(400);
    expect(noFile.body.error.message).toMatch(/^file: required/);
  });
});

describe('GET /api/modellab/datasets', () => {
  it('filters by name and by latest version', async () => {
    await upload(IRIS_V1);
    await upload(IRIS_V2, 'iris.csv');
    await upload('x,y\n1,2\n', 'points.csv');
    const byName = await request(t.app).get('/api/modellab/datasets?name=iris');
    expect(byName.body.items.map((d: { version: number }) => d.version)).toEqual([2, 1]);
    const latest = await request(t.app).get('/api/modellab/datasets?latest=true');
    expect(latest.body.items.map((d: { name: string; version: number }) => `${d.name}@${d.version}`)).toEqual(['points@1', 'iris@2']);
    expect(latest.body.total).toBe(2);
  });
});

describe('GET /api/modellab/datasets/:id/preview', () => {
  it('answers the first rows typed by the detected schema', async () => {
    const { body } = await upload('id,score,ok,name\n1,0.5,true,a\n2,NA,false,b\n3,1.5,true,c\n', 'p.csv');
    const res = await request(t.app).get(`/api/modellab/datasets/${body.id}/preview?limit=2`);
    expect(res.status).toBe(200);
    expect(res.body.columns).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'score', type: 'number' },
      { name: 'ok', type: 'boolean' },
      { name: 'name', type: 'string' },
    ]);
    expect(res.body.rows).toEqual([
      { id: 1, score: 0.5, ok: true, name: 'a' },
      { id: 2, score: null, ok: false, name: 'b' },
    ]);
  });
});

describe('GET /api/modellab/datasets/:id/download', () => {
  it('streams the original bytes with its name, type and checksum', async () => {
    const { body } = await upload(IRIS_V1, 'Iris Ünïcode.csv');
    const res = await request(t.app).get(`/api/modellab/datasets/${body.id}/download`).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect((res.body as Buffer).toString()).toBe(IRIS_V1);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(IRIS_V1)));
    expect(res.headers['content-disposition']).toBe(`attachment; filename="Iris _n_code.csv"; filename*=UTF-8''Iris%20%C3%9Cn%C3%AFcode.csv`);
    expect(res.headers.etag).toBe(`"${sha256(IRIS_V1)}"`);
  });
});

describe('POST /api/modellab/datasets/:id/validate', () => {
  it('checks a file against the version schema without storing it', async () => {
    const { body } = await upload('id,label\n1,a\n2,b\n', 'labels.csv');
    await leavesNoTrace(async () => {
      const ok = await request(t.app).post(`/api/modellab/datasets/${body.id}/validate`).attach('file', Buffer.from('id,label\n3,c\n'), 'new.csv');
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ valid: true, rowCount: 1, violationCount: 0 });
      const bad = await request(t.app).post(`/api/modellab/datasets/${body.id}/validate`).attach('file', Buffer.from('id,extra\nfour,1\n'), 'new.csv');
      expect(bad.body).toMatchObject({
        valid: false,
        violationCount: 2,
        schemaChanges: { added: ['extra'], removed: ['label'], typeChanged: [{ name: 'id', from: 'integer', to: 'string' }] },
      });
      expect(bad.body.violations[1]).toEqual({ row: 1, column: 'id', value: 'four', expected: 'integer', problem: 'wrong_type' });
    });
  });

  it('answers 404 for an unknown version', async () => {
    const res = await request(t.app).post('/api/modellab/datasets/nope/validate').attach('file', Buffer.from('a\n1\n'), 'x.csv');
    expect(res.status).toBe(404);
  });
});

describe('PUT /api/modellab/datasets/:id', () => {
  it('changes description and tags only', async () => {
    const { body } = await upload(IRIS_V1);
    const res = await request(t.app).put(`/api/modellab/datasets/${body.id}`).send({ description: 'new', tags: ['x'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ description: 'new', tags: ['x'], checksum: body.checksum, version: 1 });
  });

  it('answers 400 when the body tries to change content', async () => {
    const { body } = await upload(IRIS_V1);
    const res = await request(t.app).put(`/api/modellab/datasets/${body.id}`).send({ checksum: '0'.repeat(64), description: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^checksum: a dataset version is immutable/);
  });
});

describe('DELETE /api/modellab/datasets/:id', () => {
  it('answers 409 naming the runs that link to it', async () => {
    const { body } = await upload(IRIS_V1);
    const run = await request(t.app).post('/api/modellab/runs').send({ name: 'uses-iris', datasetId: body.id });
    const res = await request(t.app).delete(`/api/modellab/datasets/${body.id}`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain(`'uses-iris' (${run.body.id})`);
    expect(res.body.error.details.runs).toEqual([{ id: run.body.id, name: 'uses-iris' }]);
    expect(existsSync(path.join(t.dir, 'datasets', body.id))).toBe(true);
  });

  it('removes the record and the file', async () => {
    const { body } = await upload(IRIS_V1);
    expect((await request(t.app).delete(`/api/modellab/datasets/${body.id}`)).status).toBe(204);
    expect((await request(t.app).get(`/api/modellab/datasets/${body.id}`)).status).toBe(404);
    expect(existsSync(path.join(t.dir, 'datasets', body.id))).toBe(false);
  });
});

describe('POST /api/modellab/datasets with a large CSV (read by worker threads while it uploads)', () => {
  it('gives the same version as the sequential reader, and honours an expectedSchema sent after the file', async () => {
    const big = await testApp({ maxUploadBytes: 64 * 1024 * 1024 });
    const parallel = vi.spyOn(ParallelCsvReader.prototype, 'result');
    try {
      let text = 'id,value,label\n';
      for (let i = 0; i < 800_000; i++) text += `${i},${(i % 1000) / 8},label-${i % 40}\n`;
      const bytes = Buffer.from(text);
      expect(bytes.length).toBeGreaterThan(16 * 1024 * 1024);
      const res = await request(big.app).post('/api/modellab/datasets').attach('file', bytes, 'big.csv');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ rowCount: 800_000, checksum: sha256(bytes), columnCount: 3 });
      const [id, value, label] = res.body.schema.columns;
      expect(id).toMatchObject({ type: 'integer', min: 0, max: 799_999, mean: 399_999.5, approximate: true });
      expect(value).toMatchObject({ type: 'number', distinctCount: 1000, min: 0, max: 124.875, approximate: false });
      expect(value.mean).toBeCloseTo(62.4375, 9);
      expect(label).toMatchObject({ type: 'string', distinctCount: 40 });
      expect(label.topValues[0]).toEqual({ value: 'label-0', count: 20_000 });
      // The worker threads' answer was the one used.
      expect(parallel).toHaveBeenCalledTimes(1);
      expect(await parallel.mock.results[0]!.value).not.toBeNull();

      // The file part first, the schema after it: the reader started without the schema, so the
      // server must read again with it rather than miss the violation.
      const late = await request(big.app)
        .post('/api/modellab/datasets')
        .attach('file', Buffer.concat([bytes, Buffer.from('x,1,late\n')]), 'big.csv')
        .field('expectedSchema', JSON.stringify({ columns: [{ name: 'id', type: 'integer' }] }));
      expect(late.status).toBe(422);
      expect(late.body.error.details.violations).toEqual([{ row: 800_001, column: 'id', value: 'x', expected: 'integer', problem: 'wrong_type' }]);
    } finally {
      parallel.mockRestore();
      await big.cleanup();
    }
  });
});
