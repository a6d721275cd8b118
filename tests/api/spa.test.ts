/** The client is served under /modellab with deep links answered by index.html, and real 404s for missing files. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app';
import { tempDir } from '../helpers/tmp';

let t: TestApp;
let client: Awaited<ReturnType<typeof tempDir>>;
afterEach(async () => {
  await t.cleanup();
  await client.cleanup();
});

async function appWithClient() {
  client = await tempDir('modellab-client-');
  await mkdir(path.join(client.dir, 'assets'));
  await writeFile(path.join(client.dir, 'index.html'), '<!doctype html><title>ModelLab</title><div id="root"></div>');
  await writeFile(path.join(client.dir, 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(path.join(client.dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  t = await testApp({ clientDir: client.dir });
}

describe('serving the client', () => {
  it.each(['/modellab', '/modellab/', '/modellab/runs', '/modellab/runs/abc123', '/modellab/datasets/x/y', '/modellab/anything/else'])(
    'answers %s with the app',
    async (url) => {
      await appWithClient();
      const res = await request(t.app).get(url);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toContain('<div id="root">');
    },
  );

  it('serves assets with long caching and the favicon', async () => {
    await appWithClient();
    const js = await request(t.app).get('/modellab/assets/index-abc.js');
    expect(js.status).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await request(t.app).get('/modellab/favicon.svg')).status).toBe(200);
  });

  it('answers 404 (not the app) for a missing asset, so a stale tab does not run HTML as JS', async () => {
    await appWithClient();
    const res = await request(t.app).get('/modellab/assets/index-gone.js');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('redirects / to /modellab/', async () => {
    await appWithClient();
    const res = await request(t.app).get('/');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/modellab/');
  });

  it('does not answer unknown API paths with the app', async () => {
    await appWithClient();
    const res = await request(t.app).get('/api/modellab/runs/x/y/z');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/json/);
  });
});
