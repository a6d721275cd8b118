/**
 * The team deployment end to end: two ModelLab processes on one PostgreSQL database and one bucket
 * (s3rver in its own process). Writers hit both at once — runs, tag merges on one shared run from
 * both sides, metric points, artifact uploads — while one process's live stream shows the other's
 * changes; then one process is killed with SIGKILL under that load. The survivor keeps serving,
 * and every write either process acknowledged is there, read back through the survivor.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startServer, stopServer, type ServerProcess } from '../helpers/server';
import { usePostgres } from '../helpers/postgres';
import { useS3 } from '../helpers/s3';
import { tempDir } from '../helpers/tmp';

const postgres = usePostgres();
const s3 = useS3();
const json = { 'content-type': 'application/json' };
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('two processes on one database and one bucket', () => {
  it('serve each other’s writes, relay events, and lose nothing acknowledged when one is killed under load', async () => {
    const db = await postgres.createDatabase();
    const dirs = [await tempDir(), await tempDir()];
    const env = { MODELLAB_DATABASE_URL: db.url, ...s3().env(`team-${randomBytes(3).toString('hex')}`) };
    const [a, b] = (await Promise.all(dirs.map((d) => startServer({ dataDir: d.dir, env })))) as [ServerProcess, ServerProcess];
    try {
      expect(await (await fetch(`${b.url}/api/modellab/health`)).json()).toMatchObject({ status: 'ok', store: 'postgres', artifacts: 's3' });
      const shared = (await (await fetch(`${a.url}/api/modellab/runs`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'shared' }) })).json()) as { id: string };

      // B's live stream, collecting what it is told.
      const stream = await fetch(`${b.url}/api/modellab/events`);
      const reader = stream.body!.getReader();
      let received = '';
      const reading = (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          received += new TextDecoder().decode(value);
        }
      })();

      const created: { id: string; via: string }[] = [];
      const sharedTags = new Set<string>();
      const points = new Map<string, number>(); // run id → acknowledged points
      const artifacts = new Map<string, string>(); // run id → sha256 of its acknowledged upload
      let stop = false;
      const writer = async (server: ServerProcess, w: number) => {
        for (let i = 0; !stop; i++) {
          try {
            const res = await fetch(`${server.url}/api/modellab/runs`, { method: 'POST', headers: json, body: JSON.stringify({ name: `${w}-${i}`, hyperparameters: { i } }) });
            if (res.status !== 201) continue;
            const { id } = (await res.json()) as { id: string };
            created.push({ id, via: server.url });
            const tag = `w${w}i${i}`;
            const merged = await fetch(`${server.url}/api/modellab/runs/${shared.id}`, { method: 'PUT', headers: json, body: JSON.stringify({ tags: { [tag]: 'x' } }) });
            if (merged.status === 200) sharedTags.add(tag);
            const logged = await fetch(`${server.url}/api/modellab/runs/${id}/metrics`, { method: 'POST', headers: json, body: JSON.stringify({ metrics: [{ key: 'loss', value: 1 / (i + 1) }, { key: 'loss', value: 0.5 / (i + 1) }] }) });
            if (logged.status === 200 || logged.status === 201) points.set(id, 2);
            if (i % 4 === 0) {
              const content = randomBytes(2048);
              const form = new FormData();
              form.append('file', new Blob([content]), 'weights.bin');
              const up = await fetch(`${server.url}/api/modellab/artifacts/${id}`, { method: 'POST', body: form });
              if (up.status === 201) artifacts.set(id, sha256(content));
            }
          } catch {
            return; // this process is gone
          }
        }
      };
      const writers = [...Array.from({ length: 6 }, (_, w) => writer(a, w)), ...Array.from({ length: 6 }, (_, w) => writer(b, 100 + w))];
      while (created.filter((c) => c.via === a.url).length < 150) await new Promise((r) => setTimeout(r, 20));
      await stopServer(a, 'SIGKILL');
      const createdBeforeKill = created.length;
      // The survivor keeps acknowledging.
      while (created.length < createdBeforeKill + 60) await new Promise((r) => setTimeout(r, 20));
      stop = true;
      await Promise.all(writers);

      // Every acknowledged run, tag, point and artifact, through the survivor.
      const stored = new Set<string>();
      for (let offset = 0; ; offset += 1000) {
        const page = (await (await fetch(`${b.url}/api/modellab/runs?limit=1000&offset=${offset}`)).json()) as { items: { id: string }[]; total: number };
        for (const r of page.items) stored.add(r.id);
        if (offset + 1000 >= page.total) break;
      }
      expect(created.filter((c) => !stored.has(c.id))).toEqual([]);
      const sharedRun = (await (await fetch(`${b.url}/api/modellab/runs/${shared.id}`)).json()) as { tags: Record<string, string> };
      expect([...sharedTags].filter((t) => !(t in sharedRun.tags))).toEqual([]);
      for (const [id] of [...points].slice(0, 60)) {
        const series = (await (await fetch(`${b.url}/api/modellab/runs/${id}/metrics/loss`)).json()) as { points: unknown[] };
        expect(series.points.length, id).toBeGreaterThanOrEqual(2);
      }
      for (const [id, digest] of artifacts) {
        const res = await fetch(`${b.url}/api/modellab/artifacts/${id}/download/checkpoints/weights.bin`);
        expect(res.status, id).toBe(200);
        expect(sha256(Buffer.from(await res.arrayBuffer())), id).toBe(digest);
      }
      // B's stream told of runs A created.
      const viaA = created.filter((c) => c.via === a.url).slice(0, 20);
      for (const c of viaA) expect(received).toContain(`"id":"${c.id}"`);
      await reader.cancel();
      await reading;
      expect([points.size > 100, artifacts.size > 20, sharedTags.size > 100]).toEqual([true, true, true]);
    } finally {
      await stopServer(b);
      await Promise.all(dirs.map((d) => d.cleanup()));
      await db.drop();
    }
  }, 180_000);
});
