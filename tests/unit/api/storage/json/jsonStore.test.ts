import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_FILE, LOCK_FILE, SCHEMA_VERSION, WAL_FILE } from '../../../../../src/shared/contract/constants';
import { DataDirLockedError } from '../../../../../api/storage/json/dataDirLock';
import { AppError } from '../../../../../src/shared/errors';
import { CorruptDatabaseError, JsonStore } from '../../../../../api/storage';
import { makeRun } from '../../../../helpers/fixtures';
import type { Run } from '../../../../../src/shared/contract/types';
import { tempDir } from '../../../../helpers/tmp';
import { describeStoreContract } from '../../../../contracts/store';
import { compileFilter, parseFilter, parseSort, sortRuns } from '../../../../../src/shared/runs/filter';

describeStoreContract('JsonStore', async () => {
  const tmp = await tempDir();
  const store = await JsonStore.open(tmp.dir, { log: () => {} });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await tmp.cleanup();
    },
  };
});

describe('JsonStore on disk', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const open = () => JsonStore.open(tmp.dir, { log: () => {} });
  const dbPath = () => path.join(tmp.dir, DB_FILE);

  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  it('creates db.json with the schemaVersion on first use', async () => {
    const store = await open();
    await store.close();
    expect(JSON.parse(await readFile(dbPath(), 'utf8'))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      datasets: [],
      runs: [],
      artifacts: [],
      experiments: [{ id: '0', name: 'Default', artifactLocation: 'mlflow-artifacts:/0', lifecycleStage: 'active', tags: {}, createdAt: expect.any(String), updatedAt: expect.any(String) }],
      loggedModels: [],
      registeredModels: [],
      auth: [],
    });
  });

  it('keeps users, tokens and sessions across a crash (from the log) and a restart (from db.json), deletes included', async () => {
    const store = await open();
    const at = '2026-12-05T00:00:00.000Z';
    await store.createAuthRecord('user', { name: 'ada', role: 'admin', passwordHash: 'h', createdAt: at, updatedAt: at });
    await store.createAuthRecord('user', { name: 'bob', role: 'viewer', passwordHash: 'h', createdAt: at, updatedAt: at });
    await store.createAuthRecord('token', { id: 't1', user: 'bob', name: 'ci', secretHash: 's', createdAt: at, expiresAt: null, lastUsedAt: null });
    await store.updateAuthRecord('user', 'ada', (u) => ({ ...u, role: 'editor' }));
    await store.deleteAuthRecord('user', 'bob');
    const crashed = await openCrashCopy();
    try {
      expect(await crashed.store.listAuthRecords('user')).toEqual([{ name: 'ada', role: 'editor', passwordHash: 'h', createdAt: at, updatedAt: at }]);
      expect(await crashed.store.listAuthRecords('token')).toEqual([]);
    } finally {
      await crashed.cleanup();
    }
    await store.close();
    const reopened = await open();
    expect((await reopened.listAuthRecords('user')).map((u) => [u.name, u.role])).toEqual([['ada', 'editor']]);
    await reopened.close();
  });

  it('opens a version-4 db.json (before users) and adds the empty auth section', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(dbPath(), JSON.stringify({ schemaVersion: 4, datasets: [], runs: [], artifacts: [], experiments: [], loggedModels: [], registeredModels: [] }));
    const store = await open();
    expect(await store.listAuthRecords('user')).toEqual([]);
    await store.close();
    expect(JSON.parse(await readFile(dbPath(), 'utf8'))).toMatchObject({ schemaVersion: SCHEMA_VERSION, auth: [] });
  });

  /** The files as a crash right now would leave them: copied aside, opened by a second store. */
  async function openCrashCopy() {
    const copy = await tempDir();
    for (const name of [DB_FILE, WAL_FILE]) await copyFile(path.join(tmp.dir, name), path.join(copy.dir, name)).catch(() => undefined);
    const store = await JsonStore.open(copy.dir, { log: () => {} });
    return { store, cleanup: async () => { await store.close(); await copy.cleanup(); } };
  }

  it('has every acknowledged write on disk (snapshot + log) before the promise resolves', async () => {
    const store = await open();
    const run = await store.createRun(makeRun({ name: 'durable' }));
    await store.updateRun(run.id, (r) => ({ ...r, tags: { a: '1' } }));
    const gone = await store.createRun(makeRun({ name: 'deleted' }));
    await store.deleteRun(gone.id);
    // Without closing the store: what is on disk now is what a crash would leave.
    const crash = await openCrashCopy();
    expect((await crash.store.searchRuns({ limit: 10, offset: 0 })).items.map((r) => [r.name, r.tags])).toEqual([['durable', { a: '1' }]]);
    await crash.cleanup();
    await store.close();
  });

  it('has the registry on disk as acknowledged: versions, aliases, a rename and a deleted version survive a crash', async () => {
    const store = await open();
    const draft = { source: 's3://b/m', runId: null, modelId: null, status: 'ready' as const, statusMessage: null, description: '', tags: {}, userId: null };
    await store.createRegisteredModel({ name: 'churn', description: 'd', tags: { team: 'risk' } });
    await Promise.all([store.createModelVersion('churn', draft), store.createModelVersion('churn', draft), store.createModelVersion('churn', draft)]);
    await store.setRegisteredModelAlias('churn', 'champion', 2);
    await store.renameRegisteredModel('churn', 'churn-v2');
    await store.deleteModelVersion('churn-v2', 3);
    const crash = await openCrashCopy();
    const [entry] = await crash.store.listRegisteredModels();
    expect(entry!.model).toMatchObject({ name: 'churn-v2', lastVersion: 3, aliases: { champion: 2 }, tags: { team: 'risk' } });
    expect(entry!.versions.map((v) => [v.name, v.version])).toEqual([
      ['churn-v2', 1],
      ['churn-v2', 2],
    ]);
    await crash.cleanup();
    await store.close();
  });

  it('appends a flush to db.wal instead of rewriting db.json, and a reopen folds the log into a new snapshot', async () => {
    const store = await open();
    const before = await readFile(dbPath(), 'utf8');
    await store.createRun(makeRun({ name: 'logged' }));
    expect(await readFile(dbPath(), 'utf8')).toBe(before);
    const log = (await readFile(path.join(tmp.dir, WAL_FILE), 'utf8')).trim().split('\n');
    expect(log).toHaveLength(1);
    expect(JSON.parse(log[0]!)).toMatchObject({ op: 'put', kind: 'run', record: { name: 'logged' } });
    const crash = await openCrashCopy();
    await crash.cleanup();
    await store.close(); // a clean close folds the log too
    expect(JSON.parse(await readFile(dbPath(), 'utf8')).runs.map((r: { name: string }) => r.name)).toEqual(['logged']);
    expect(await readFile(path.join(tmp.dir, WAL_FILE), 'utf8')).toBe('');
  });

  it('rewrites the snapshot once the log outgrows it', async () => {
    const store = await JsonStore.open(tmp.dir, { log: () => {}, compactBytes: 4096 });
    const run = await store.createRun(makeRun({ name: 'busy' }));
    for (let i = 0; i < 40; i++) await store.updateRun(run.id, (r) => ({ ...r, notes: `update ${i} ${'x'.repeat(200)}` }));
    expect((await stat(path.join(tmp.dir, WAL_FILE))).size).toBeLessThan(4096 + 2048);
    expect(JSON.parse(await readFile(dbPath(), 'utf8')).runs[0].notes).toMatch(/^update \d+/);
    const crash = await openCrashCopy();
    expect((await crash.store.getRun(run.id)).notes).toMatch(/^update 39 /);
    await crash.cleanup();
    await store.close();
  });

  it('ignores and cuts off a torn last log line (a write a crash interrupted)', async () => {
    const store = await open();
    const run = await store.createRun(makeRun({ name: 'kept' }));
    await store.close();
    await writeFile(path.join(tmp.dir, WAL_FILE), `{"op":"put","kind":"run","record":${JSON.stringify({ ...run, name: 'renamed' })}}\n{"op":"put","kind":"run","rec`);
    const reopened = await open();
    expect((await reopened.getRun(run.id)).name).toBe('renamed');
    await reopened.close();
  });

  it('refuses to open when a log line in the middle is damaged, naming db.wal', async () => {
    const store = await open();
    await store.close();
    await writeFile(path.join(tmp.dir, WAL_FILE), '{"op":"put",garbage\n{"op":"del","kind":"run","id":"x"}\n');
    await expect(open()).rejects.toThrow(new RegExp(`${WAL_FILE}.*line 1`));
  });

  it('migrates a version-1 db.json', async () => {
    const run = makeRun({ name: 'old' });
    await writeFile(dbPath(), JSON.stringify({ schemaVersion: 1, datasets: [], runs: [run] }));
    const store = await open();
    expect((await store.getRun(run.id)).name).toBe('old');
    await store.close();
    expect(JSON.parse(await readFile(dbPath(), 'utf8')).schemaVersion).toBe(SCHEMA_VERSION);
  });

  it('reopens with everything it held', async () => {
    let store = await open();
    const run = await store.createRun(makeRun({ name: 'again', tags: { k: 'v' } }));
    await store.close();
    store = await open();
    expect(await store.getRun(run.id)).toEqual(run);
    await store.close();
  });

  it('group-commits: 300 concurrent creates need far fewer than 300 flushes', async () => {
    const store = await open();
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.createRun(makeRun({ name: `g${i}` }))));
    const stats = store.flushStats();
    expect(stats.mutations).toBe(300);
    expect(stats.flushes).toBeLessThan(30);
    await store.close();
  });

  it('leaves no temp files behind and removes those a crash left', async () => {
    await writeFile(path.join(tmp.dir, `.${DB_FILE}.12345.abcdef.tmp`), '{"half');
    const store = await open();
    await Promise.all(Array.from({ length: 20 }, () => store.createRun(makeRun())));
    await store.close();
    expect((await readdir(tmp.dir)).sort()).toEqual([DB_FILE, WAL_FILE]);
  });

  describe('a db.json that cannot be read', () => {
    it('refuses to open, names the file and how to recover, and does not touch it', async () => {
      const garbage = '{"schemaVersion": 1, "runs": [ {"id": "x"';
      await writeFile(dbPath(), garbage);
      const error = await open().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CorruptDatabaseError);
      expect((error as Error).message).toContain(dbPath());
      expect((error as Error).message).toMatch(/restore|move it aside/);
      expect(await readFile(dbPath(), 'utf8')).toBe(garbage);
      // The lock is released, so a fixed file can be opened right away.
      await writeFile(dbPath(), JSON.stringify({ schemaVersion: 1, datasets: [], runs: [] }));
      await (await open()).close();
    });

    it('refuses a file written by a newer schema version', async () => {
      await writeFile(dbPath(), JSON.stringify({ schemaVersion: SCHEMA_VERSION + 1, datasets: [], runs: [] }));
      await expect(open()).rejects.toThrow(/newer ModelLab/);
    });

    it('refuses an empty file rather than starting empty', async () => {
      await writeFile(dbPath(), '');
      await expect(open()).rejects.toBeInstanceOf(CorruptDatabaseError);
    });
  });

  describe('a schemaVersion 2 folder (before experiments)', () => {
    it('files its runs under the Default experiment and keeps them after a restart', async () => {
      const { experimentId: _e, lifecycleStage: _l, inputs: _i, ...old } = makeRun({ name: 'from-v2' });
      await writeFile(dbPath(), JSON.stringify({ schemaVersion: 2, datasets: [], runs: [old], artifacts: [] }));
      let store = await open();
      expect(await store.getRun(old.id)).toMatchObject({ name: 'from-v2', experimentId: '0', lifecycleStage: 'active', inputs: [] });
      expect((await store.listExperiments()).map((e) => e.name)).toEqual(['Default']);
      await store.close();
      const db = JSON.parse(await readFile(dbPath(), 'utf8')) as { schemaVersion: number; runs: { experimentId: string }[] };
      expect(db.schemaVersion).toBe(SCHEMA_VERSION);
      expect(db.runs[0]!.experimentId).toBe('0');
      store = await open();
      expect((await store.searchRuns({ limit: 10, offset: 0, experimentIds: ['0'] })).total).toBe(1);
      await store.close();
    });
  });

  describe('an unreadable record inside a valid db.json', () => {
    it('is skipped by lists, answers corrupt_record on get, and is kept verbatim on the next write', async () => {
      const good = makeRun({ name: 'good' });
      const bad = { id: 'b'.repeat(32), name: 42, status: 'exploded' };
      await writeFile(dbPath(), JSON.stringify({ schemaVersion: 1, datasets: [], runs: [good, bad] }));
      const logs: string[] = [];
      const store = await JsonStore.open(tmp.dir, { log: (m) => logs.push(m) });
      expect(logs.join('\n')).toContain(bad.id);
      const page = await store.searchRuns({ limit: 10, offset: 0 });
      expect(page.items.map((r) => r.id)).toEqual([good.id]);
      const error = await store.getRun(bad.id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('corrupt_record');
      await store.createRun(makeRun({ name: 'new' }));
      await store.close();
      const db = JSON.parse(await readFile(dbPath(), 'utf8')) as { runs: unknown[] };
      expect(db.runs).toContainEqual(bad);
      expect(db.runs).toHaveLength(3);
    });
  });

  describe('the data folder lock', () => {
    it('refuses a second store on a folder in use', async () => {
      const store = await open();
      await expect(open()).rejects.toBeInstanceOf(DataDirLockedError);
      await store.close();
      await (await open()).close(); // released on close
    });

    it('takes over a lock whose owner process is gone', async () => {
      // A pid that certainly is not running: a child that has already exited.
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      await mkdir(tmp.dir, { recursive: true });
      await writeFile(
        path.join(tmp.dir, LOCK_FILE),
        JSON.stringify({ pid: dead, hostname: os.hostname(), startedAt: new Date().toISOString() }),
      );
      const store = await open();
      const owner = JSON.parse(await readFile(path.join(tmp.dir, LOCK_FILE), 'utf8')) as { pid: number };
      expect(owner.pid).toBe(process.pid);
      await store.close();
    });

    it('respects a lock held by a live process', async () => {
      await writeFile(
        path.join(tmp.dir, LOCK_FILE),
        JSON.stringify({ pid: process.ppid, hostname: os.hostname(), startedAt: new Date().toISOString() }),
      );
      const error = await open().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect((error as Error).message).toContain(String(process.ppid));
    });
  });
});

describe('records in memory', () => {
  it('keep their serialized form as a string, not a Buffer that would pin a slab of the shared pool', async () => {
    const { readable } = await import('../../../../../api/storage/json/records');
    const slot = readable({ runId: 'r', path: 'evaluations/metrics.json', note: 'é' });
    expect(typeof slot.json).toBe('string'); // Buffer.from(json) kept for the record's life held an 8 KB pool slab alive
    expect(JSON.parse(slot.json!)).toEqual({ runId: 'r', path: 'evaluations/metrics.json', note: 'é' });
  });

  it('hold only the value once it is in the log, and give the same records back after a snapshot written in chunks', async () => {
    const dir = await tempDir();
    const store = await JsonStore.open(dir.dir, { log: () => {} });
    const runs: Run[] = [];
    try {
      // ~2.5 MB of runs: the snapshot is written in chunks of about 1 MB.
      for (let i = 0; i < 1200; i++) runs.push(await store.createRun(makeRun({ name: `r${i}`, notes: 'x'.repeat(2000), hyperparameters: { i, s: `é${i}` } })));
      const slotOf = (id: string) => (store as unknown as { runs: { get: (id: string) => { json?: string; value: Run } } }).runs.get(id);
      expect(slotOf(runs[7]!.id).json).toBeUndefined();
      expect(slotOf(runs[7]!.id).value).toEqual(runs[7]);
      // The 1,000 newest keep theirs, for the plain list.
      expect(slotOf(runs[1199]!.id).json).toBe(JSON.stringify(runs[1199]));
      expect(slotOf(runs[199]!.id).json).toBeUndefined();
      expect(slotOf(runs[200]!.id).json).toBe(JSON.stringify(runs[200]));
    } finally {
      await store.close(); // a clean stop writes the snapshot
    }
    expect((await stat(path.join(dir.dir, DB_FILE))).size).toBeGreaterThan(2_400_000);
    expect((await stat(path.join(dir.dir, WAL_FILE))).size).toBe(0);
    const reopened = await JsonStore.open(dir.dir, { log: () => {} });
    try {
      const page = await reopened.searchRuns({ limit: 2000, offset: 0 });
      expect(page.total).toBe(1200);
      expect([...page.items].reverse()).toEqual(runs);
    } finally {
      await reopened.close();
      await dir.cleanup();
    }
  });
});

describe('JsonStore searches through its field columns', () => {
  it('answers what a filter over the records answers, after updates, deletes and the compaction of its run order', async () => {
    const dir = await tempDir();
    const store = await JsonStore.open(dir.dir, { log: () => {} });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 1500; i += 250) {
        const batch = await Promise.all(
          Array.from({ length: 250 }, (_, j) =>
            store.createRun(makeRun({ name: `r${i + j}`, status: (i + j) % 5 ? 'completed' : 'failed', hyperparameters: { optimizer: { name: ['sgd', 'adam', 'adamw'][(i + j) % 3] } }, metrics: { m: ((i + j) % 10) / 10, k: (i + j) % 7 } })),
          ),
        );
        ids.push(...batch.map((r) => r.id));
      }
      const filter = parseFilter("status = 'completed' AND params.optimizer.name IN ('adam', 'adamw') AND metrics.m > 0.25");
      const sort = parseSort('metrics.k:desc');
      /** The same search by brute force over every record, with the closure compiler. */
      const reference = async () => {
        const all = (await store.searchRuns({ limit: 100_000, offset: 0 })).items; // newest first
        const matching = all.filter(compileFilter(filter));
        return { total: matching.length, ids: sortRuns(matching, sort).slice(0, 30).map((r) => r.id) };
      };
      const search = async () => {
        const page = await store.searchRuns({ limit: 30, offset: 0, filter, sort });
        return { total: page.total, ids: page.items.map((r) => r.id) };
      };
      expect(await search()).toEqual(await reference());
      // Changes reach the columns: new values, a status change, new runs.
      for (const id of ids.slice(0, 200)) await store.updateRun(id, (r) => ({ ...r, metrics: { ...r.metrics, m: 0.9, k: 100 } }));
      await store.updateRun(ids[1]!, (r) => ({ ...r, status: 'failed' }));
      await store.createRun(makeRun({ name: 'late', status: 'completed', hyperparameters: { optimizer: { name: 'adam' } }, metrics: { m: 1, k: 1000 } }));
      const after = await search();
      expect(after).toEqual(await reference());
      expect(after.ids[0]).toBe((await store.searchRuns({ limit: 1, offset: 0 })).items[0]!.id); // 'late' leads with k = 1000
      // 1,100 deletes: the order is compacted and the columns rebuilt.
      for (const id of ids.slice(100, 1200)) await store.deleteRun(id);
      expect(await search()).toEqual(await reference());
      expect((await store.searchRuns({ limit: 5, offset: 0, filter })).items.map((r) => r.id)).toEqual(
        (await store.searchRuns({ limit: 100_000, offset: 0 })).items.filter(compileFilter(filter)).slice(0, 5).map((r) => r.id),
      );
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });
});
