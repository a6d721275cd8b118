/** The conventions every endpoint follows: error shape, statuses, body limits, auth, headers. */
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { ConfigError, loadConfig } from '../../api/config';
import type { Store } from '../../api/storage';
import { testApp, type TestApp } from '../helpers/app';
import { openServices } from '../../api/services';

let t: TestApp;
afterEach(async () => {
  await t?.cleanup();
});

describe('GET /api/modellab/health', () => {
  it('answers ok with the version', async () => {
    t = await testApp();
    const res = await request(t.app).get('/api/modellab/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', version: '9.9.9', store: 'json', artifacts: 'folder' });
  });

  it('answers 503 in the error shape while the store does not answer', async () => {
    t = await testApp();
    const down = new Proxy(t.store, {
      get: (target, prop, receiver) => (prop === 'ping' ? () => Promise.reject(new Error('connection refused')) : Reflect.get(target, prop, receiver)),
    }) as Store;
    const services = await openServices(down, t.dir, { gitDir: t.dir });
    const app = createApp({ services, config: { apiToken: null, jsonLimitBytes: 1024, maxUploadBytes: 1024, maxEvalBytes: 1024, version: 'x' } });
    const res = await request(app).get('/api/modellab/health');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: 'unavailable', message: 'The store does not answer: connection refused' } });
    await services.close();
  });
});

describe('error shape', () => {
  it('answers 404 not_found in the error shape for an unknown API path', async () => {
    t = await testApp();
    const res = await request(t.app).get('/api/modellab/does-not-exist');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.stringContaining('/api/modellab/does-not-exist') } });
  });

  it('answers 400 invalid_json for a body that does not parse', async () => {
    t = await testApp();
    const res = await request(t.app).post('/api/modellab/runs').set('Content-Type', 'application/json').send('{"name": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });

  it('answers 400 "field: message" for the first invalid field, with all issues in details', async () => {
    t = await testApp();
    const res = await request(t.app).post('/api/modellab/runs').send({ name: '', seed: -1 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(/^name: /);
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(['body.name', 'body.seed']);
  });

  it('answers 400 for an unknown field (a typo must not be silently dropped)', async () => {
    t = await testApp();
    const res = await request(t.app).post('/api/modellab/runs').send({ name: 'x', hyperparamters: {} });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/hyperparamters/);
  });

  it('answers 415 for a body that is not JSON', async () => {
    t = await testApp();
    const res = await request(t.app).post('/api/modellab/runs').set('Content-Type', 'text/plain').send('name=x');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  it('answers 413 for a JSON body over the limit', async () => {
    t = await testApp({ jsonLimitBytes: 1024 });
    const res = await request(t.app).post('/api/modellab/runs').send({ name: 'x', notes: 'n'.repeat(4096) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('turns an unexpected failure into a generic 500 without internals, and logs it', async () => {
    t = await testApp();
    const failing = new Proxy(t.store, {
      get: (target, prop, receiver) =>
        prop === 'getRun' ? () => Promise.reject(new Error('secret: /etc/internal path')) : Reflect.get(target, prop, receiver),
    }) as Store;
    const services = await openServices(failing, t.dir, { gitDir: t.dir });
    const app = createApp({
      services,
      config: { apiToken: null, jsonLimitBytes: 1024, maxUploadBytes: 1024, maxEvalBytes: 1024, version: 'x' },
      log: (m, e) => t.logged.push(`${m} ${String(e)}`),
    });
    const res = await request(app).get(`/api/modellab/runs/${'a'.repeat(32)}`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    expect(JSON.stringify(res.body)).not.toContain('secret');
    expect(t.logged.join()).toContain('secret');
    await services.close();
  });
});

describe('list envelope', () => {
  it('answers {items, total, limit, offset} with limit default 50 and at most 1000', async () => {
    t = await testApp();
    const res = await request(t.app).get('/api/modellab/datasets');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
    const tooMany = await request(t.app).get('/api/modellab/runs?limit=1001');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/^limit: /);
    expect((await request(t.app).get('/api/modellab/runs?limit=1000&offset=5')).body).toMatchObject({ limit: 1000, offset: 5 });
  });
});

describe('bearer token', () => {
  it('requires the token for writes when configured, not for reads', async () => {
    t = await testApp({ apiToken: 's3cret' });
    const anonymous = await request(t.app).post('/api/modellab/runs').send({ name: 'x' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthorized');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    const wrong = await request(t.app).post('/api/modellab/runs').set('Authorization', 'Bearer nope').send({ name: 'x' });
    expect(wrong.status).toBe(401);
    const ok = await request(t.app).post('/api/modellab/runs').set('Authorization', 'Bearer s3cret').send({ name: 'x' });
    expect(ok.status).toBe(201);
    const del = await request(t.app).delete(`/api/modellab/runs/${ok.body.id}`);
    expect(del.status).toBe(401);
    expect((await request(t.app).get('/api/modellab/runs')).status).toBe(200);
  });
});

describe('security headers', () => {
  it('sets nosniff, frame and content-security policies and hides the framework', async () => {
    t = await testApp();
    const res = await request(t.app).get('/api/modellab/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('loadConfig', () => {
  it('listens on 127.0.0.1:3000 by default', () => {
    expect(loadConfig({})).toMatchObject({ host: '127.0.0.1', port: 3000, apiToken: null });
  });

  it("reads no repository's commit unless MODELLAB_GIT_DIR names one (the working directory is ModelLab's own checkout)", async () => {
    expect(loadConfig({}).gitDir).toBeNull();
    expect(loadConfig({ MODELLAB_GIT_DIR: '/srv/train' }).gitDir).toBe('/srv/train');
    // The tests run in this checkout (a repository): with no MODELLAB_GIT_DIR the run records no commit.
    t = await testApp({ gitDir: loadConfig({}).gitDir });
    const run = await request(t.app).post('/api/modellab/runs').send({ name: 'no-git' });
    expect([run.body.gitCommit, run.body.gitBranch, run.body.gitDirty]).toEqual([null, null, null]);
  });

  it('refuses a non-loopback HOST without a token unless explicitly allowed', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(loadConfig({ HOST: '0.0.0.0', MODELLAB_API_TOKEN: 't' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0', MODELLAB_ALLOW_UNAUTHENTICATED: '1' }).host).toBe('0.0.0.0');
  });

  it('chooses the auth mode: token with MODELLAB_API_TOKEN, none without, users when asked (which may listen beyond loopback)', () => {
    expect(loadConfig({}).authMode).toBe('none');
    expect(loadConfig({ MODELLAB_API_TOKEN: 't' }).authMode).toBe('token');
    expect(loadConfig({ MODELLAB_AUTH: 'users', HOST: '0.0.0.0' })).toMatchObject({ authMode: 'users', host: '0.0.0.0', bootstrapAdmin: null, sessionHours: 168 });
    expect(() => loadConfig({ MODELLAB_AUTH: 'token' })).toThrow(/needs MODELLAB_API_TOKEN/);
    expect(() => loadConfig({ MODELLAB_AUTH: 'ldap' })).toThrow(/MODELLAB_AUTH must be one of none, token, users/);
    expect(loadConfig({ MODELLAB_AUTH: 'users', MODELLAB_ADMIN_PASSWORD: 'first-admin-pw' }).bootstrapAdmin).toEqual({ name: 'admin', password: 'first-admin-pw' });
    expect(loadConfig({ MODELLAB_AUTH: 'users', MODELLAB_ADMIN_PASSWORD: 'first-admin-pw', MODELLAB_ADMIN_USER: 'ops' }).bootstrapAdmin!.name).toBe('ops');
    expect(() => loadConfig({ MODELLAB_ADMIN_PASSWORD: 'short' })).toThrow(/8 to 256 characters/);
    expect(() => loadConfig({ MODELLAB_ADMIN_PASSWORD: 'long-enough', MODELLAB_ADMIN_USER: 'a b' })).toThrow(/not a valid user name/);
  });

  it('takes a PostgreSQL URL for the records, and refuses anything else', () => {
    expect(loadConfig({}).databaseUrl).toBeNull();
    expect(loadConfig({ MODELLAB_DATABASE_URL: 'postgres://u:p@db:5432/modellab' }).databaseUrl).toBe('postgres://u:p@db:5432/modellab');
    expect(loadConfig({ MODELLAB_DATABASE_URL: 'postgresql://db/modellab' }).databaseUrl).toBe('postgresql://db/modellab');
    expect(() => loadConfig({ MODELLAB_DATABASE_URL: 'mysql://db/modellab' })).toThrow(/MODELLAB_DATABASE_URL/);
    expect(() => loadConfig({ MODELLAB_DATABASE_URL: 'not a url' })).toThrow(/MODELLAB_DATABASE_URL/);
    expect(loadConfig({}).databasePoolSize).toBe(10);
    expect(loadConfig({ MODELLAB_DATABASE_POOL_SIZE: '4' }).databasePoolSize).toBe(4);
    expect(() => loadConfig({ MODELLAB_DATABASE_POOL_SIZE: 'many' })).toThrow(/MODELLAB_DATABASE_POOL_SIZE/);
  });

  it('takes an s3:// bucket for the files with an optional endpoint, and refuses what is not one', () => {
    expect(loadConfig({})).toMatchObject({ artifactUri: null, s3EndpointUrl: null });
    expect(loadConfig({ MODELLAB_ARTIFACT_URI: 's3://team-bucket/modellab', MODELLAB_S3_ENDPOINT_URL: 'http://minio:9000' })).toMatchObject({
      artifactUri: 's3://team-bucket/modellab',
      s3EndpointUrl: 'http://minio:9000',
    });
    expect(() => loadConfig({ MODELLAB_ARTIFACT_URI: '/srv/artifacts' })).toThrow(/MODELLAB_ARTIFACT_URI must look like s3:\/\/bucket\/prefix/);
    expect(() => loadConfig({ MODELLAB_ARTIFACT_URI: 's3://Bad_Bucket' })).toThrow(/not a valid bucket name/);
    expect(() => loadConfig({ MODELLAB_ARTIFACT_URI: 's3://ok-bucket', MODELLAB_S3_ENDPOINT_URL: 'minio:9000' })).toThrow(/MODELLAB_S3_ENDPOINT_URL/);
    expect(() => loadConfig({ MODELLAB_S3_ENDPOINT_URL: 'http://minio:9000' })).toThrow(/MODELLAB_ARTIFACT_URI is not/);
  });

  it('rejects a port that is not a number', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
  });

  it('keeps V8\'s heap growth at 25 % unless told otherwise (0: V8\'s own policy)', () => {
    expect(loadConfig({}).heapGrowthPercent).toBe(25);
    expect(loadConfig({ MODELLAB_HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(() => loadConfig({ MODELLAB_HEAP_GROWTH_PERCENT: '-5' })).toThrow(/MODELLAB_HEAP_GROWTH_PERCENT/);
    expect(() => loadConfig({ MODELLAB_HEAP_GROWTH_PERCENT: 'lots' })).toThrow(/MODELLAB_HEAP_GROWTH_PERCENT/);
  });
});
