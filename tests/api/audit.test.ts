/**
 * The audit log (MODELLAB_AUTH=users): one entry per mutation — whoever made it, through either API —
 * with the action, the object, the time and the client's address; none for reads or refused
 * requests; sign-ins, users and tokens too; admins page and filter it; it survives SIGKILL. Both stores.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp, usersApp } from '../helpers/app';
import { usePostgres } from '../helpers/postgres';
import { startServer, stopServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const postgres = usePostgres();
const API = '/api/modellab';
const as = (name: string, password = `password-of-${name}`) => ({ Authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` });
type Entry = { seq: number; at: string; user: string; action: string; objectType: string; objectId: string; address: string };

describe.each(['json', 'postgres'] as const)('the audit log on the %s store', (backend) => {
  let t: TestApp;
  const audit = async (query = '') => (await request(t.app).get(`${API}/audit?limit=1000${query}`).set(as('root'))).body as { items: Entry[]; total: number; limit: number; offset: number };

  beforeAll(async () => {
    t = await usersApp(backend, [['au', 'editor'], ['vi', 'viewer']], postgres.createDatabase);
  }, 120_000);
  afterAll(async () => t?.cleanup());

  it('records each mutation of either API once, in order, with who, what, on what, when and from where; reads and refused requests none', async () => {
    const started = Date.now();
    const au = (method: 'get' | 'post' | 'put' | 'delete', path: string, body?: object) => {
      const r = request(t.app)[method](path).set(as('au'));
      return body === undefined ? r : r.send(body);
    };
    const experiment = (await au('post', `${API}/experiments`, { name: `audited-${backend}` })).body;
    const run = (await au('post', `${API}/runs`, { name: 'r', experimentId: experiment.id })).body;
    await au('post', `${API}/runs/${run.id}/metrics`, { metrics: [{ key: 'loss', value: 1, step: 0 }] });
    await au('put', `${API}/runs/${run.id}`, { status: 'running' });
    await request(t.app).post(`${API}/artifacts/${run.id}`).set(as('au')).field('category', 'plots').attach('file', Buffer.from('png'), 'a.png');
    await au('post', '/api/2.0/mlflow/runs/set-tag', { run_id: run.id, key: 'k', value: 'v' });
    await au('post', '/api/2.0/mlflow/registered-models/create', { name: `audited-model-${backend}` });
    // Reads and refusals: nothing.
    await au('get', `${API}/runs/${run.id}`);
    await au('post', '/api/2.0/mlflow/runs/search', { experiment_ids: [experiment.id] });
    await au('put', `${API}/runs/${run.id}`, { status: 'pending' }); // 409: running → pending is not allowed
    await au('post', `${API}/runs`, { name: 'bad', experimentId: 'x' }); // 400
    await request(t.app).post(`${API}/runs`).set(as('vi')).send({ name: 'viewer' }); // 403
    await au('delete', `${API}/runs/${run.id}`);

    const { items, total } = await audit('&user=au');
    expect(total).toBe(8);
    expect(items.map((e) => `${e.action} ${e.objectType} ${e.objectId}`).reverse()).toEqual([
      `experiment.created experiment ${experiment.id}`,
      `run.created run ${run.id}`,
      `metrics.logged run ${run.id}`,
      `run.updated run ${run.id}`,
      `artifact.created artifact ${run.id}/plots/a.png`,
      `run.updated run ${run.id}`,
      `registered_model.created registered_model audited-model-${backend}`,
      `run.deleted run ${run.id}`,
    ]);
    for (const e of items) {
      expect(e.user).toBe('au');
      expect(e.address).toMatch(/127\.0\.0\.1|::1|::ffff:127\.0\.0\.1/);
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(started - 1000);
    }
    expect(items.map((e) => e.seq)).toEqual([...items.map((e) => e.seq)].sort((a, b) => b - a)); // newest first
  });

  it('records sign-ins (a refused one under no name), users and tokens, never a password', async () => {
    const before = (await audit()).total;
    await request(t.app).post(`${API}/auth/login`).send({ username: 'au', password: 'password-of-au' });
    await request(t.app).post(`${API}/auth/login`).send({ username: 'au', password: 'wrong-password' });
    const made = await request(t.app).post(`${API}/tokens`).set(as('au')).send({ name: 'ci' });
    await request(t.app).delete(`${API}/tokens/${made.body.id}`).set(as('au'));
    await request(t.app).post(`${API}/users`).set(as('root')).send({ name: `new-${backend}`, password: 'new-user-password', role: 'viewer' });
    await request(t.app).put(`${API}/users/new-${backend}`).set(as('root')).send({ role: 'editor' });
    await request(t.app).delete(`${API}/users/new-${backend}`).set(as('root'));
    const { items, total } = await audit();
    expect(total).toBe(before + 7);
    expect(items.slice(0, 7).map((e) => `${e.user} ${e.action} ${e.objectType} ${e.objectId}`).reverse()).toEqual([
      'au login user au',
      '- login.failed user au',
      `au token.created token ${made.body.id}`,
      `au token.revoked token ${made.body.id}`,
      `root user.created user new-${backend}`,
      `root user.updated user new-${backend}`,
      `root user.deleted user new-${backend}`,
    ]);
    expect(JSON.stringify(items)).not.toMatch(/password-of|wrong-password|new-user-password/);
  });

  it('pages and filters for admins only', async () => {
    const all = await audit();
    const page = (await request(t.app).get(`${API}/audit?limit=2&offset=1`).set(as('root'))).body;
    expect(page).toMatchObject({ total: all.total, limit: 2, offset: 1 });
    expect(page.items).toEqual(all.items.slice(1, 3));
    const created = await audit('&action=run.created');
    expect(created.items.length).toBeGreaterThan(0);
    expect(created.items.every((e) => e.action === 'run.created')).toBe(true);
    expect(created.total).toBe(all.items.filter((e) => e.action === 'run.created').length);
    expect((await request(t.app).get(`${API}/audit`).set(as('au'))).status).toBe(403);
    expect((await request(t.app).get(`${API}/audit?limit=5000`).set(as('root'))).status).toBe(400);
  });
});

it('is off without users: no audit route, no entries', async () => {
  const t = await testApp();
  try {
    expect((await request(t.app).post(`${API}/runs`).send({ name: 'anonymous' })).status).toBe(201);
    expect((await request(t.app).get(`${API}/audit`)).status).toBe(404);
    expect((await t.store.listAudit({ limit: 10, offset: 0 })).total).toBe(0);
  } finally {
    await t.cleanup();
  }
});

it('keeps every acknowledged entry after SIGKILL', async () => {
  const tmp = await tempDir();
  const env = { MODELLAB_AUTH: 'users', MODELLAB_ADMIN_PASSWORD: 'admin-password-1' };
  let server = await startServer({ dataDir: tmp.dir, env, apiOnly: true });
  try {
    const base = server.url.replace(/\/modellab$/, '');
    const headers = { ...as('admin', 'admin-password-1'), 'content-type': 'application/json' };
    const acknowledged: string[] = [];
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const res = await fetch(`${base}/api/modellab/runs`, { method: 'POST', headers, body: JSON.stringify({ name: `k${i}` }) });
        if (res.status === 201) acknowledged.push(((await res.json()) as { id: string }).id);
      }),
    );
    expect(acknowledged).toHaveLength(40);
    await stopServer(server, 'SIGKILL');
    server = await startServer({ dataDir: tmp.dir, env, apiOnly: true });
    const again = server.url.replace(/\/modellab$/, '');
    const res = await fetch(`${again}/api/modellab/audit?action=run.created&limit=1000`, { headers });
    const body = (await res.json()) as { items: Entry[]; total: number };
    expect(body.items.map((e) => e.objectId).sort()).toEqual([...acknowledged].sort());
    expect(body.items.every((e) => e.user === 'admin')).toBe(true);
  } finally {
    await stopServer(server, 'SIGKILL');
    await tmp.cleanup();
  }
}, 120_000);
