/**
 * A server on PostgreSQL while the database goes away and comes back: every request meanwhile is a
 * 503 in the error shape (nothing crashes), and once the database is back the same process serves
 * again without a restart, with nothing acknowledged lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, stopServer, type ServerProcess } from '../helpers/server';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/tmp';

const json = { 'content-type': 'application/json' };
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres({ own: true }); // this test stops it
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
});

async function call(server: ServerProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, { method, headers: json, ...(body !== undefined && { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

describe('a lost database connection', () => {
  it('answers 503 database_unavailable while the database is away, and serves again once it is back', async () => {
    const db = await postgres.createDatabase();
    const dir = await tempDir();
    const server = await startServer({ dataDir: dir.dir, env: { MODELLAB_DATABASE_URL: db.url } });
    try {
      const before = await call(server, 'POST', '/api/modellab/runs', { name: 'before' });
      expect(before.status).toBe(201);

      await postgres.pause();
      for (const [method, path, body] of [
        ['GET', '/api/modellab/runs'],
        ['GET', `/api/modellab/runs/${before.body.id as string}`],
        ['POST', '/api/modellab/runs', { name: 'while away' }],
        ['POST', `/api/modellab/runs/${before.body.id as string}/metrics`, { metrics: [{ key: 'loss', value: 1 }] }],
      ] as const) {
        const res = await call(server, method, path, body);
        expect([res.status, res.body.error?.code], `${method} ${path}`).toEqual([503, 'database_unavailable']);
        expect(res.body.error?.message).toMatch(/database is not answering/);
      }
      const health = await call(server, 'GET', '/api/modellab/health');
      expect([health.status, health.body.error?.code]).toEqual([503, 'unavailable']);
      expect(server.child.exitCode).toBeNull(); // still running

      await postgres.resume();
      const after = await call(server, 'POST', '/api/modellab/runs', { name: 'after' });
      expect(after.status).toBe(201);
      const list = await call(server, 'GET', '/api/modellab/runs?sort=createdAt&order=asc');
      expect((list.body.items as { name: string }[]).map((r) => r.name)).toEqual(['before', 'after']);
      expect((await call(server, 'GET', '/api/modellab/health')).body).toMatchObject({ status: 'ok', store: 'postgres' });
    } finally {
      await stopServer(server);
      await dir.cleanup();
      await db.drop();
    }
  }, 120_000);
});
