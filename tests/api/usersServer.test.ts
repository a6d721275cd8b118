/**
 * A server started with MODELLAB_AUTH=users and MODELLAB_ADMIN_PASSWORD makes its first admin once,
 * serves the client's pages (the sign-in page is one) without a user, and nothing else; passwords
 * never reach its log.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, stopServer, type ServerProcess } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let server: ServerProcess;
const env = { MODELLAB_AUTH: 'users', MODELLAB_ADMIN_PASSWORD: 'bootstrap-secret-42', MODELLAB_ADMIN_USER: 'ops' };
beforeAll(async () => {
  tmp = await tempDir();
  server = await startServer({ dataDir: tmp.dir, env, apiOnly: true });
}, 60_000);
afterAll(async () => {
  if (server) await stopServer(server);
  await tmp?.cleanup();
});

it('makes the admin from MODELLAB_ADMIN_PASSWORD on first start only, and keeps the password out of the log', async () => {
  const base = server.url.replace(/\/modellab$/, '');
  expect((await fetch(`${base}/api/modellab/runs`)).status).toBe(401);
  expect((await fetch(`${base}/api/modellab/health`)).status).toBe(200);
  const login = await fetch(`${base}/api/modellab/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ops', password: 'bootstrap-secret-42' }) });
  expect(login.status).toBe(200);
  expect(((await login.json()) as { user: { role: string } }).user.role).toBe('admin');
  expect(server.output()).toMatch(/made the admin 'ops'/);
  // A restart with another password does not replace the admin: users exist.
  await stopServer(server);
  server = await startServer({ dataDir: tmp.dir, env: { ...env, MODELLAB_ADMIN_PASSWORD: 'another-secret-43' }, apiOnly: true });
  const again = server.url.replace(/\/modellab$/, '');
  const basic = (pw: string) => ({ authorization: `Basic ${Buffer.from(`ops:${pw}`).toString('base64')}` });
  expect((await fetch(`${again}/api/modellab/runs`, { headers: basic('bootstrap-secret-42') })).status).toBe(200);
  expect((await fetch(`${again}/api/modellab/runs`, { headers: basic('another-secret-43') })).status).toBe(401);
  expect(server.output()).not.toMatch(/bootstrap-secret-42|another-secret-43/);
}, 60_000);
