/**
 * MODELLAB_AUTH=users: every request needs a user — a session cookie (with the CSRF token on writes),
 * a personal access token (Bearer) or a user name and password (Basic) — for ModelLab's API and
 * MLflow's alike; roles decide what a user may change; credentials are never answered back.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_FAILURES } from '../../api/services/auth';
import { testApp, type TestApp } from '../helpers/app';

let t: TestApp;
const API = '/api/modellab';
const basic = (name: string, password: string) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;

beforeAll(async () => {
  t = await testApp({ authMode: 'users' });
  await t.services.auth.bootstrapAdmin('root', 'root-password-1');
  await t.services.auth.createUser({ name: 'ed', password: 'editor-password', role: 'editor' });
  await t.services.auth.createUser({ name: 'vi', password: 'viewer-password', role: 'viewer' });
}, 30_000);
afterAll(async () => t?.cleanup());

/** Signs in through the API: the cookie to send and the CSRF token its writes carry. */
async function signIn(name: string, password: string) {
  const res = await request(t.app).post(`${API}/auth/login`).send({ username: name, password });
  expect(res.status).toBe(200);
  const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  return { cookie, csrf: res.body.csrfToken as string, body: res.body };
}

describe('MODELLAB_AUTH=users', () => {
  it('answers 401 to anyone not signed in, on reads, writes, MLflow and the event stream; the health check stays open', async () => {
    expect((await request(t.app).get(`${API}/health`)).status).toBe(200);
    for (const [method, path] of [['get', `${API}/runs`], ['post', `${API}/runs`], ['get', `${API}/experiments`], ['get', `${API}/events`], ['get', `${API}/auth/me`], ['get', '/api/2.0/mlflow/experiments/search'], ['post', '/api/2.0/mlflow/runs/search']] as const) {
      const res = await request(t.app)[method](path).send(method === 'post' ? {} : undefined);
      expect([method, path, res.status]).toEqual([method, path, 401]);
    }
    const mlflow = await request(t.app).post('/api/2.0/mlflow/runs/create').send({ experiment_id: '0' });
    expect(mlflow.status).toBe(401);
    expect(mlflow.body.error_code).toBe('UNAUTHENTICATED');
    const modellab = await request(t.app).get(`${API}/runs`);
    expect(modellab.body.error.code).toBe('unauthorized');
  });

  it('signs in with a session cookie (httpOnly, SameSite), answers who is signed in with the CSRF token, and signs out on the server', async () => {
    const res = await request(t.app).post(`${API}/auth/login`).send({ username: 'ed', password: 'editor-password' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ mode: 'users', user: { name: 'ed', role: 'editor', createdAt: expect.any(String), updatedAt: expect.any(String) }, csrfToken: expect.any(String) });
    const setCookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(setCookie).toMatch(/^modellab_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = setCookie.split(';')[0]!;
    const me = await request(t.app).get(`${API}/auth/me`).set('Cookie', cookie);
    expect(me.body).toEqual({ mode: 'users', user: expect.objectContaining({ name: 'ed', role: 'editor' }), csrfToken: res.body.csrfToken });
    expect((await request(t.app).post(`${API}/auth/logout`).set('Cookie', cookie).set('X-CSRF-Token', res.body.csrfToken)).status).toBe(204);
    expect((await request(t.app).get(`${API}/auth/me`).set('Cookie', cookie)).status).toBe(401); // the session is gone, not just the cookie
  });

  it('answers 401 for a wrong password or an unknown user alike, never echoing the password', async () => {
    for (const [username, password] of [['ed', 'wrong-password'], ['nobody', 'editor-password']]) {
      const res = await request(t.app).post(`${API}/auth/login`).send({ username, password });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe('Wrong user name or password');
      expect(JSON.stringify(res.body)).not.toContain(password);
    }
  });

  it('refuses a cookie-authenticated write without the CSRF token, and a write from another origin', async () => {
    const { cookie, csrf } = await signIn('ed', 'editor-password');
    const without = await request(t.app).post(`${API}/experiments`).set('Cookie', cookie).send({ name: 'no-csrf' });
    expect([without.status, without.body.error.code]).toEqual([403, 'csrf_failed']);
    const wrong = await request(t.app).post(`${API}/experiments`).set('Cookie', cookie).set('X-CSRF-Token', `${csrf.slice(0, -1)}${csrf.endsWith('x') ? 'y' : 'x'}`).send({ name: 'bad-csrf' });
    expect(wrong.status).toBe(403);
    // A token of the same length in other characters is a mismatch too (compared as digests, never a 500).
    const accented = await request(t.app).post(`${API}/experiments`).set('Cookie', cookie).set('X-CSRF-Token', 'é'.repeat(csrf.length)).send({ name: 'accented-csrf' });
    expect([accented.status, accented.body.error.code]).toEqual([403, 'csrf_failed']);
    // A session cookie that is not even a valid %-escape is no session: 401.
    expect((await request(t.app).get(`${API}/runs`).set('Cookie', 'modellab_session=%E0%A4%A')).status).toBe(401);
    const foreign = await request(t.app).post(`${API}/experiments`).set('Cookie', cookie).set('X-CSRF-Token', csrf).set('Origin', 'https://evil.example').send({ name: 'cross-site' });
    expect(foreign.status).toBe(403);
    const ok = await request(t.app).post(`${API}/experiments`).set('Cookie', cookie).set('X-CSRF-Token', csrf).send({ name: 'with-csrf' });
    expect(ok.status).toBe(201);
    expect((await request(t.app).get(`${API}/experiments`).set('Cookie', cookie)).body.items.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['with-csrf']));
    expect((await request(t.app).get(`${API}/experiments`).set('Cookie', cookie)).body.items.map((e: { name: string }) => e.name)).not.toContain('no-csrf');
  });

  it('lets a viewer read but not write (403), an editor write, and only an admin manage users', async () => {
    const viewer = basic('vi', 'viewer-password');
    expect((await request(t.app).get(`${API}/runs`).set('Authorization', viewer)).status).toBe(200);
    const refused = await request(t.app).post(`${API}/runs`).set('Authorization', viewer).send({ name: 'nope' });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
    const mlflow = await request(t.app).post('/api/2.0/mlflow/runs/create').set('Authorization', viewer).send({ experiment_id: '0' });
    expect([mlflow.status, mlflow.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
    expect((await request(t.app).post('/api/2.0/mlflow/runs/search').set('Authorization', viewer).send({ experiment_ids: ['0'] })).status).toBe(200); // a search is a read
    expect((await request(t.app).post(`${API}/runs`).set('Authorization', basic('ed', 'editor-password')).send({ name: 'by-ed' })).status).toBe(201);
    expect((await request(t.app).get(`${API}/users`).set('Authorization', basic('ed', 'editor-password'))).status).toBe(403);
    const users = await request(t.app).get(`${API}/users`).set('Authorization', basic('root', 'root-password-1'));
    expect(users.status).toBe(200);
    expect(users.body.items.map((u: { name: string; role: string }) => [u.name, u.role])).toEqual([['root', 'admin'], ['ed', 'editor'], ['vi', 'viewer']]);
    expect(JSON.stringify(users.body)).not.toMatch(/scrypt|password/i);
  });

  it('manages users as an admin: 201, 409 for a taken name, 400 for a short password, and never demotes or deletes the last admin', async () => {
    const admin = basic('root', 'root-password-1');
    const made = await request(t.app).post(`${API}/users`).set('Authorization', admin).send({ name: 'temp', password: 'temp-password', role: 'viewer' });
    expect([made.status, made.body]).toEqual([201, { name: 'temp', role: 'viewer', createdAt: expect.any(String), updatedAt: expect.any(String) }]);
    expect((await request(t.app).post(`${API}/users`).set('Authorization', admin).send({ name: 'temp', password: 'temp-password', role: 'viewer' })).status).toBe(409);
    expect((await request(t.app).post(`${API}/users`).set('Authorization', admin).send({ name: 'short', password: 'short', role: 'viewer' })).status).toBe(400);
    expect((await request(t.app).post(`${API}/users`).set('Authorization', admin).send({ name: '../x', password: 'long-enough-1', role: 'viewer' })).status).toBe(400);
    expect((await request(t.app).put(`${API}/users/temp`).set('Authorization', admin).send({ role: 'editor' })).body.role).toBe('editor');
    expect((await request(t.app).put(`${API}/users/root`).set('Authorization', admin).send({ role: 'viewer' })).status).toBe(409);
    expect((await request(t.app).delete(`${API}/users/root`).set('Authorization', admin)).status).toBe(409);
    expect((await request(t.app).delete(`${API}/users/temp`).set('Authorization', admin)).status).toBe(204);
    expect((await request(t.app).delete(`${API}/users/temp`).set('Authorization', admin)).status).toBe(404);
  });

  it('a changed password signs the user out everywhere and the old one stops working', async () => {
    await t.services.auth.createUser({ name: 'pw', password: 'first-password', role: 'editor' });
    const { cookie } = await signIn('pw', 'first-password');
    expect((await request(t.app).put(`${API}/users/pw`).set('Authorization', basic('root', 'root-password-1')).send({ password: 'second-password' })).status).toBe(200);
    expect((await request(t.app).get(`${API}/auth/me`).set('Cookie', cookie)).status).toBe(401);
    expect((await request(t.app).get(`${API}/runs`).set('Authorization', basic('pw', 'first-password'))).status).toBe(401);
    expect((await request(t.app).get(`${API}/runs`).set('Authorization', basic('pw', 'second-password'))).status).toBe(200);
  });

  it('personal access tokens: shown once, listed without the secret, work as Bearer for both APIs, refused once revoked or expired', async () => {
    const ed = basic('ed', 'editor-password');
    const made = await request(t.app).post(`${API}/tokens`).set('Authorization', ed).send({ name: 'laptop' });
    expect(made.status).toBe(201);
    expect(made.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{16}$/), name: 'laptop', token: expect.stringMatching(/^mlp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/), createdAt: expect.any(String), expiresAt: null, lastUsedAt: null });
    const bearer = `Bearer ${made.body.token}`;
    expect((await request(t.app).get(`${API}/runs`).set('Authorization', bearer)).status).toBe(200);
    const created = await request(t.app).post('/api/2.0/mlflow/runs/create').set('Authorization', bearer).send({ experiment_id: '0' });
    expect(created.status).toBe(200);
    const listed = await request(t.app).get(`${API}/tokens`).set('Authorization', ed);
    expect(listed.body.items).toEqual([{ id: made.body.id, name: 'laptop', createdAt: expect.any(String), expiresAt: null, lastUsedAt: expect.any(String) }]);
    expect(JSON.stringify(listed.body)).not.toContain(made.body.token.slice(-43));
    // Another user neither sees nor revokes it.
    expect((await request(t.app).get(`${API}/tokens`).set('Authorization', basic('vi', 'viewer-password'))).body.items).toEqual([]);
    expect((await request(t.app).delete(`${API}/tokens/${made.body.id}`).set('Authorization', basic('vi', 'viewer-password'))).status).toBe(404);
    expect((await request(t.app).delete(`${API}/tokens/${made.body.id}`).set('Authorization', ed)).status).toBe(204);
    const revoked = await request(t.app).get(`${API}/runs`).set('Authorization', bearer);
    expect(revoked.status).toBe(401);
    const mlflowRevoked = await request(t.app).post('/api/2.0/mlflow/runs/search').set('Authorization', bearer).send({});
    expect([mlflowRevoked.status, mlflowRevoked.body.error_code]).toEqual([401, 'UNAUTHENTICATED']);
    // Expired: made to expire in a moment.
    const soon = await request(t.app).post(`${API}/tokens`).set('Authorization', ed).send({ name: 'brief', expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await request(t.app).get(`${API}/runs`).set('Authorization', `Bearer ${soon.body.token}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await request(t.app).get(`${API}/runs`).set('Authorization', `Bearer ${soon.body.token}`)).status).toBe(401);
    expect((await request(t.app).post(`${API}/tokens`).set('Authorization', ed).send({ name: 'past', expiresAt: '2020-01-01T00:00:00Z' })).status).toBe(400);
    expect((await request(t.app).get(`${API}/runs`).set('Authorization', 'Bearer mlp_0000000000000000_' + 'A'.repeat(43))).status).toBe(401);
  });

  it('records who created a run as its MLflow user, whatever the client sends, and lets no one change that afterwards', async () => {
    const ed = basic('ed', 'editor-password');
    const created = await request(t.app).post('/api/2.0/mlflow/runs/create').set('Authorization', ed).send({ experiment_id: '0', user_id: 'laptop-os-user', tags: [{ key: 'mlflow.user', value: 'someone-else' }] });
    expect(created.status).toBe(200);
    const runId = created.body.run.info.run_id as string;
    expect(created.body.run.info.user_id).toBe('ed');
    const mine = await request(t.app).post(`${API}/runs`).set('Authorization', ed).send({ name: 'from-modellab', tags: { 'mlflow.user': 'forged' } });
    expect(mine.body.tags['mlflow.user']).toBe('ed');
    const found = await request(t.app).post('/api/2.0/mlflow/runs/search').set('Authorization', ed).send({ experiment_ids: ['0'], filter: "attributes.user_id = 'ed'" });
    // ed's runs of the earlier tests too: every one found is ed's.
    expect(found.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual(expect.arrayContaining([runId, mine.body.id]));
    expect(new Set(found.body.runs.map((r: { info: { user_id: string } }) => r.info.user_id))).toEqual(new Set(['ed']));
    for (const [path, body] of [
      ['runs/set-tag', { run_id: runId, key: 'mlflow.user', value: 'mallory' }],
      ['runs/delete-tag', { run_id: runId, key: 'mlflow.user' }],
      ['runs/log-batch', { run_id: runId, tags: [{ key: 'mlflow.user', value: 'mallory' }] }],
    ] as const) {
      const refused = await request(t.app).post(`/api/2.0/mlflow/${path}`).set('Authorization', ed).send(body);
      expect([path, refused.status, refused.body.error_code]).toEqual([path, 403, 'PERMISSION_DENIED']);
    }
    expect((await request(t.app).put(`${API}/runs/${mine.body.id}`).set('Authorization', ed).send({ tags: { 'mlflow.user': 'mallory' } })).status).toBe(403);
    expect((await request(t.app).put(`${API}/runs/${mine.body.id}`).set('Authorization', ed).send({ tags: { team: 'vision' } })).status).toBe(200);
    expect((await request(t.app).get(`${API}/runs/${runId}`).set('Authorization', ed)).body.tags['mlflow.user']).toBe('ed');
  });

  it('rate-limits failed sign-ins per account: 429 with the time to wait, the right password refused meanwhile', async () => {
    await t.services.auth.createUser({ name: 'target', password: 'target-password', role: 'viewer' });
    for (let i = 0; i < LOGIN_FAILURES; i++) expect((await request(t.app).post(`${API}/auth/login`).send({ username: 'target', password: `guess-${i}` })).status).toBe(401);
    const limited = await request(t.app).post(`${API}/auth/login`).send({ username: 'target', password: 'target-password' });
    expect([limited.status, limited.body.error.code]).toEqual([429, 'too_many_requests']);
    expect(limited.body.error.details.retryAfter).toBeGreaterThan(0);
    expect((await request(t.app).get(`${API}/runs`).set('Authorization', basic('target', 'target-password'))).status).toBe(429); // Basic too
  }, 30_000);
});

describe('none and token modes', () => {
  it('answer /auth/me with the mode and no user, and 404 to signing in', async () => {
    const open = await testApp();
    try {
      expect((await request(open.app).get(`${API}/auth/me`)).body).toEqual({ mode: 'none', user: null });
      expect((await request(open.app).post(`${API}/auth/login`).send({ username: 'a', password: 'b' })).status).toBe(404);
    } finally {
      await open.cleanup();
    }
    const token = await testApp({ apiToken: 'secret-token' });
    try {
      expect((await request(token.app).get(`${API}/auth/me`)).body).toEqual({ mode: 'token', user: null });
      expect((await request(token.app).post(`${API}/runs`).send({ name: 'x' })).status).toBe(401);
    } finally {
      await token.cleanup();
    }
  });
});
