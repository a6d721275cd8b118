/**
 * The store's promises, checked against a real server process: acknowledged writes survive SIGKILL,
 * a second server is refused, a stale lock does not block a restart, a corrupt db.json stops the server.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../src/shared/contract/constants';
import { runToExit, startServer, stopServer, type ServerProcess } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

let tmp: Awaited<ReturnType<typeof tempDir>>;
const servers: ServerProcess[] = [];
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => stopServer(s, 'SIGKILL')));
  await tmp.cleanup();
});

async function start(env: Record<string, string> = {}) {
  const server = await startServer({ dataDir: tmp.dir, env });
  servers.push(server);
  return server;
}

async function allRunIds(url: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let offset = 0; ; offset += 1000) {
    const page = (await (await fetch(`${url}/api/modellab/runs?limit=1000&offset=${offset}`)).json()) as {
      items: { id: string }[];
      total: number;
    };
    page.items.forEach((r) => ids.add(r.id));
    if (offset + 1000 >= page.total) return ids;
  }
}

describe('crash safety', () => {
  it('keeps every acknowledged write after SIGKILL under write load', async () => {
    const server = await start();
    const acknowledged: string[] = [];
    const tagged = new Map<string, number>();
    let stop = false;
    // 16 writers creating runs and merging tags as fast as the server acknowledges them.
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${server.url}/api/modellab/runs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: `w${w}-${i}`, hyperparameters: { i, pad: 'x'.repeat(200) } }),
          });
          if (res.status !== 201) continue;
          const { id } = (await res.json()) as { id: string };
          acknowledged.push(id);
          const put = await fetch(`${server.url}/api/modellab/runs/${id}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ tags: { acked: String(i) } }),
          });
          if (put.status === 200) tagged.set(id, i);
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = Array.from({ length: 16 }, (_, w) => writer(w));
    while (acknowledged.length < 400) await new Promise((r) => setTimeout(r, 20));
    await stopServer(server, 'SIGKILL');
    servers.splice(servers.indexOf(server), 1);
    stop = true;
    await Promise.all(writers);

    // db.json is valid JSON on its own, before any restart touches it.
    JSON.parse(await readFile(path.join(tmp.dir, DB_FILE), 'utf8'));
    const restarted = await start(); // the killed server's lock must not block this
    const stored = await allRunIds(restarted.url);
    const missing = acknowledged.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    for (const [id, i] of [...tagged].slice(0, 100)) {
      const run = (await (await fetch(`${restarted.url}/api/modellab/runs/${id}`)).json()) as { tags: Record<string, string> };
      expect(run.tags.acked).toBe(String(i));
    }
  });
});

describe('the model registry under SIGKILL', () => {
  it('keeps every acknowledged version (each number given once) and the last acknowledged alias move', async () => {
    const server = await start();
    const json = { 'content-type': 'application/json' };
    const call = (method: string, url: string, body?: unknown) => fetch(`${server.url}/api/modellab${url}`, { method, headers: json, ...(body !== undefined && { body: JSON.stringify(body) }) });
    const run = (await (await call('POST', '/runs', { name: 'source' })).json()) as { id: string };
    expect((await call('POST', '/models', { name: 'churn' })).status).toBe(201);
    const acknowledged: number[] = [];
    let lastAlias: number | null = null;
    let stop = false;
    const writer = async () => {
      while (!stop) {
        try {
          const res = await call('POST', '/models/churn/versions', { runId: run.id, path: 'model' });
          if (res.status !== 201) continue;
          const { version } = (await res.json()) as { version: number };
          acknowledged.push(version);
          if ((await call('PUT', '/models/churn/aliases/champion', { version })).status === 200) lastAlias = version;
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = Array.from({ length: 8 }, () => writer());
    while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 10));
    await stopServer(server, 'SIGKILL');
    servers.splice(servers.indexOf(server), 1);
    stop = true;
    await Promise.all(writers);

    expect(new Set(acknowledged).size).toBe(acknowledged.length); // never the same number twice
    const restarted = await start();
    const versions = (await (await fetch(`${restarted.url}/api/modellab/models/churn/versions?limit=1000`)).json()) as { items: { version: number }[] };
    const stored = new Set(versions.items.map((v) => v.version));
    expect(acknowledged.filter((v) => !stored.has(v))).toEqual([]);
    const model = (await (await fetch(`${restarted.url}/api/modellab/models/churn`)).json()) as { aliases: Record<string, number>; lastVersion: number };
    // The alias is on an acknowledged move at least as late as the last one acknowledged to a writer.
    expect(stored.has(model.aliases.champion!)).toBe(true);
    expect(lastAlias).not.toBeNull();
    expect(model.lastVersion).toBeGreaterThanOrEqual(Math.max(...acknowledged));
  });
});

describe('metric appends under SIGKILL', () => {
  it('keep every acknowledged point; a torn last line is ignored on read and cut before the next append', async () => {
    const server = await start();
    const json = { 'content-type': 'application/json' };
    const run = (await (await fetch(`${server.url}/api/modellab/runs`, { method: 'POST', headers: json, body: '{"name":"kill-me"}' })).json()) as { id: string };
    const acked = new Map<string, number[]>();
    let stop = false;
    const writer = async (w: number) => {
      for (let batch = 0; !stop; batch++) {
        const metrics = Array.from({ length: 50 }, (_, i) => ({ key: `w${w}`, value: Math.sqrt(batch * 50 + i), step: batch * 50 + i }));
        try {
          const res = await fetch(`${server.url}/api/modellab/runs/${run.id}/metrics`, { method: 'POST', headers: json, body: JSON.stringify({ metrics }) });
          if (res.status === 201) acked.set(`w${w}`, [...(acked.get(`w${w}`) ?? []), ...metrics.map((m) => m.step)]);
        } catch {
          return;
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    const total = () => [...acked.values()].reduce((n, steps) => n + steps.length, 0);
    while (total() < 4000) await new Promise((r) => setTimeout(r, 20));
    await stopServer(server, 'SIGKILL');
    servers.splice(servers.indexOf(server), 1);
    stop = true;
    await Promise.all(writers);

    // Simulate a write torn by the crash (whether or not the kill produced one).
    const file = path.join(tmp.dir, 'runs', run.id, 'metrics.jsonl');
    await appendFile(file, '{"k":"torn","v":0.5,"s":');
    const restarted = await start();
    for (const [key, steps] of acked) {
      const body = (await (await fetch(`${restarted.url}/api/modellab/runs/${run.id}/metrics/${key}?maxPoints=100000`)).json()) as { points: { step: number; value: number }[] };
      const stored = new Set(body.points.map((p) => p.step));
      expect(steps.filter((s) => !stored.has(s))).toEqual([]);
      expect(body.points.find((p) => p.step === steps[0])!.value).toBe(Math.sqrt(steps[0]!));
    }
    expect((await fetch(`${restarted.url}/api/modellab/runs/${run.id}/metrics/torn`)).status).toBe(404);
    const more = await fetch(`${restarted.url}/api/modellab/runs/${run.id}/metrics`, { method: 'POST', headers: json, body: '{"metrics":[{"key":"after","value":1}]}' });
    expect(more.status).toBe(201);
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    for (const line of lines.slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('data folder lock', () => {
  it('makes a second server on the same folder exit non-zero with a clear message', async () => {
    const first = await start();
    const second = await runToExit({ dataDir: tmp.dir });
    expect(second.code).not.toBe(0);
    expect(second.output).toMatch(/in use by another ModelLab server \(pid \d+/);
    // The first one is unaffected.
    expect((await fetch(`${first.url}/api/modellab/health`)).status).toBe(200);
  });

  it('lets a server start right after the previous one was killed', async () => {
    const first = await start();
    await fetch(`${first.url}/api/modellab/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a"}' });
    await stopServer(first, 'SIGKILL');
    servers.splice(servers.indexOf(first), 1);
    const second = await start();
    expect((await allRunIds(second.url)).size).toBe(1);
  });
});

describe('corrupt db.json', () => {
  it('makes the server exit non-zero naming the file, and leaves the file as it was', async () => {
    const broken = '{"schemaVersion":1,"runs":[{"id":';
    await writeFile(path.join(tmp.dir, DB_FILE), broken);
    const result = await runToExit({ dataDir: tmp.dir });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(path.join(tmp.dir, DB_FILE));
    expect(result.output).toMatch(/never overwrites/);
    expect(await readFile(path.join(tmp.dir, DB_FILE), 'utf8')).toBe(broken);
  });
});

describe('configuration', () => {
  it('refuses to listen on a non-loopback host without a token', async () => {
    const result = await runToExit({ dataDir: tmp.dir, env: { HOST: '0.0.0.0' } });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/MODELLAB_API_TOKEN/);
  });
});

describe('graceful stop', () => {
  it('exits 0 on SIGTERM and releases the lock', async () => {
    const server = await start();
    await stopServer(server, 'SIGTERM');
    servers.splice(servers.indexOf(server), 1);
    expect(await server.exited).toBe(0);
    await start();
  });
});

describe('malloc arenas', () => {
  it('runs the server with MALLOC_ARENA_MAX=2 on Linux when it is not set, passing a stop signal on to it', async () => {
    // Without the variable (an undefined value is left out of the child's environment) the server
    // starts itself again with it set: the lock names that second process.
    const server = await start({ MALLOC_ARENA_MAX: undefined as unknown as string });
    const lock = path.join(tmp.dir, 'modellab.lock');
    const owner = JSON.parse(await readFile(lock, 'utf8')) as { pid: number };
    expect(owner.pid).not.toBe(server.child.pid);
    expect((await readFile(`/proc/${owner.pid}/environ`, 'utf8')).split('\0')).toContain('MALLOC_ARENA_MAX=2');
    // SIGTERM to the launcher alone reaches the server, which finishes its writes and releases the folder.
    process.kill(server.child.pid!, 'SIGTERM');
    expect(await server.exited).toBe(0);
    servers.splice(servers.indexOf(server), 1);
    await expect(readFile(lock, 'utf8')).rejects.toThrow();
  });
});
