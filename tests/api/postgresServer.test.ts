/**
 * `npm start` with MODELLAB_DATABASE_URL: the records and metric series live in PostgreSQL (migrated
 * at start), the health check says so, they outlive the process, and two processes on one database
 * — no data-folder lock in this mode — see each other's runs and points at once.
 */
import { describe, expect, it } from 'vitest';
import { startServer, stopServer, runToExit } from '../helpers/server';
import { usePostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/tmp';

const postgres = usePostgres();

const json = { 'content-type': 'application/json' };

describe('a server on PostgreSQL', () => {
  it('keeps its records in the database, across restarts and between two processes', async () => {
    const db = await postgres.createDatabase();
    const dirs = [await tempDir(), await tempDir()];
    const env = { MODELLAB_DATABASE_URL: db.url };
    const [a, b] = await Promise.all(dirs.map((d) => startServer({ dataDir: d.dir, env }))); // migrate together
    try {
      expect(await (await fetch(`${a!.url}/api/modellab/health`)).json()).toMatchObject({ status: 'ok', store: 'postgres' });
      const run = (await (await fetch(`${a!.url}/api/modellab/runs`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'shared', metrics: { acc: 0.9 } }) })).json()) as { id: string };
      const seen = (await (await fetch(`${b!.url}/api/modellab/runs?filter=${encodeURIComponent('metrics.acc > 0.5')}`)).json()) as { items: { id: string }[] };
      expect(seen.items.map((r) => r.id)).toEqual([run.id]);
      // A change made through one process reaches the live stream of the other.
      const stream = await fetch(`${b!.url}/api/modellab/events`);
      const reader = stream.body!.getReader();
      let received = '';
      const created = (await (await fetch(`${a!.url}/api/modellab/runs`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'announced' }) })).json()) as { id: string };
      while (!received.includes(created.id)) {
        const { value, done } = await reader.read();
        if (done) break;
        received += new TextDecoder().decode(value);
      }
      await reader.cancel();
      expect(received).toMatch(new RegExp(`event: run\\.created\\ndata: \\{"id":"${created.id}","name":"announced"`));
      // Metric points logged through one process are the other's too (they live in the database).
      await fetch(`${a!.url}/api/modellab/runs/${run.id}/metrics`, { method: 'POST', headers: json, body: JSON.stringify({ metrics: [{ key: 'loss', value: 0.5 }, { key: 'loss', value: 0.25 }] }) });
      const series = (await (await fetch(`${b!.url}/api/modellab/runs/${run.id}/metrics/loss`)).json()) as { points: { step: number; value: number }[] };
      expect(series.points.map((p) => [p.step, p.value])).toEqual([[0, 0.5], [1, 0.25]]);
      await stopServer(a!);
      const again = await startServer({ dataDir: dirs[0]!.dir, env });
      try {
        expect(((await (await fetch(`${again.url}/api/modellab/runs/${run.id}`)).json()) as { name: string }).name).toBe('shared');
      } finally {
        await stopServer(again);
      }
    } finally {
      await stopServer(b!);
      await Promise.all(dirs.map((d) => d.cleanup()));
      await db.drop();
    }
  }, 90_000);

  it('refuses to start on a database it cannot reach, naming it without its password', async () => {
    const dir = await tempDir();
    try {
      const { code, output } = await runToExit({ dataDir: dir.dir, env: { MODELLAB_DATABASE_URL: 'postgres://modellab:s3cret@127.0.0.1:1/nowhere' } });
      expect(code).toBe(1);
      expect(output).toMatch(/ModelLab cannot start: the database at postgres:\/\/modellab:\*\*\*@127\.0\.0\.1:1\/nowhere cannot be used/);
      expect(output).not.toContain('s3cret');
    } finally {
      await dir.cleanup();
    }
  }, 60_000);
});
