/** receiveUpload's answers when storing the file fails: the server's fault, in the API's error shape. */
import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorHandler } from '../../api/http';
import { receiveRawBody, receiveUpload } from '../../api/http/upload';
import { tempDir } from '../helpers/tmp';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

/** An app whose uploads (multipart, and raw bodies as MLflow sends them) go to a file stream that fails with `code` on its first write. */
function appFailingWith(code: string) {
  const failing = () =>
    new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error(`${code}: simulated`), { code }));
      },
    });
  const app = express();
  app.post('/upload', async (req, res, next) => {
    try {
      await receiveUpload(req, res, tmp.dir, 10 * 1024 * 1024, failing);
      res.status(201).json({ ok: true });
    } catch (error) {
      next(error);
    }
  });
  app.put('/raw', async (req, res, next) => {
    try {
      await receiveRawBody(req, tmp.dir, 'model.pkl', 10 * 1024 * 1024, failing);
      res.status(200).json({ ok: true });
    } catch (error) {
      next(error);
    }
  });
  app.use(errorHandler(() => {}));
  return app;
}

describe('receiveUpload when the file cannot be stored', () => {
  it('answers 507 insufficient_storage when the disk is full', async () => {
    const res = await request(appFailingWith('ENOSPC')).post('/upload').attach('file', Buffer.from('a,b\n1,2\n'), 'data.csv');
    expect(res.status).toBe(507);
    expect(res.body.error.code).toBe('insufficient_storage');
    expect(res.body.error.message).toContain('ENOSPC');
  });

  it('answers 507 for a raw body too (an MLflow artifact PUT)', async () => {
    const res = await request(appFailingWith('ENOSPC')).put('/raw').set('content-type', 'application/octet-stream').send(Buffer.alloc(1000, 1));
    expect(res.status).toBe(507);
    expect(res.body.error.code).toBe('insufficient_storage');
  });

  it('answers 500 storage_failed for another I/O error (not a 400: the request was fine)', async () => {
    const res = await request(appFailingWith('EIO')).post('/upload').attach('file', Buffer.from('a,b\n1,2\n'), 'data.csv');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('storage_failed');
  });
});
