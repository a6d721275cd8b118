/**
 * The contract every Store implementation must pass (MLflow keeps one AbstractStoreTest for all its
 * tracking stores; this is the same idea). Call it from a test file with a factory for the store.
 */
import { afterEach, beforeEach, describe as describeGroup, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { updatedRun } from '../../src/shared/runs/lifecycle';
import type { Store } from '../../api/storage';
import { makeDataset, makeRun } from '../helpers/fixtures';
import { parseFilter, parseSort } from '../../src/shared/runs/filter';
import type { LoggedModel } from '../../src/shared/contract/registry';
import type { Run } from '../../src/shared/contract/types';
import type { VersionDraft } from '../../src/shared/models/registry';
import type { SessionRecord, TokenRecord, UserRecord } from '../../src/shared/auth';

const loggedModel = (overrides: Partial<LoggedModel> = {}): LoggedModel => ({
  id: `m-${Math.random().toString(16).slice(2).padEnd(16, '0').slice(0, 16)}${'0'.repeat(16)}`,
  name: 'model',
  experimentId: '0',
  sourceRunId: null,
  status: 'pending',
  statusMessage: null,
  modelType: null,
  params: {},
  tags: {},
  metrics: {},
  outputRuns: [],
  artifactLocation: 'mlflow-artifacts:/0/models/x/artifacts',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});
const draft = (overrides: Partial<VersionDraft> = {}): VersionDraft => ({
  source: 's3://bucket/model',
  runId: null,
  modelId: null,
  status: 'ready',
  statusMessage: null,
  description: '',
  tags: {},
  userId: null,
  ...overrides,
});

export interface StoreHarness {
  store: Store;
  cleanup: () => Promise<void>;
}

async function expectAppError(promise: Promise<unknown>, status: number, code: string) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).status).toBe(status);
  expect((error as AppError).code).toBe(code);
}

/** The contract's groups of tests, by their titles. */
export const CONTRACT_GROUPS = ['createRun / getRun', 'searchRuns', 'updateRun', 'concurrency', 'deleteRun', 'experiments', 'datasets', 'model registry', 'users, tokens and sessions', 'the audit log'] as const;

/**
 * `groups`: the groups a backend in progress passes already (all when not given); the others are
 * not declared for it.
 */
export function describeStoreContract(name: string, open: () => Promise<StoreHarness>, groups: readonly (typeof CONTRACT_GROUPS)[number][] = CONTRACT_GROUPS) {
  const describe = (title: string, body: () => void) => {
    const root = title.startsWith('Store contract');
    if (!root && !(CONTRACT_GROUPS as readonly string[]).includes(title)) throw new Error(`list the contract group '${title}' in CONTRACT_GROUPS`);
    if (root || (groups as readonly string[]).includes(title)) describeGroup(title, body);
  };
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    describe('createRun / getRun', () => {
      it('returns what was stored, and later gets return the same record', async () => {
        const run = makeRun({ name: 'baseline', hyperparameters: { lr: 0.01, layers: [64, 32] }, seed: 7 });
        const created = await h.store.createRun(run);
        expect(created).toEqual(run);
        expect(await h.store.getRun(run.id)).toEqual(run);
      });

      it('hands out copies: changing a returned record does not change the store', async () => {
        const run = await h.store.createRun(makeRun({ tags: { a: '1' } }));
        run.tags.b = '2';
        (await h.store.getRun(run.id)).tags.c = '3';
        expect((await h.store.getRun(run.id)).tags).toEqual({ a: '1' });
      });

      it('answers 404 not_found for an unknown id', async () => {
        await expectAppError(h.store.getRun('0'.repeat(32)), 404, 'not_found');
      });

      it('answers 409 when the id already exists', async () => {
        const run = makeRun();
        await h.store.createRun(run);
        await expectAppError(h.store.createRun(run), 409, 'conflict');
      });

      it('answers 422 for a datasetId that names no dataset, and accepts an existing one', async () => {
        await expectAppError(h.store.createRun(makeRun({ datasetId: 'f'.repeat(32) })), 422, 'unprocessable_entity');
        const dataset = await h.store.createDataset(makeDataset());
        const run = await h.store.createRun(makeRun({ datasetId: dataset.id }));
        expect(run.datasetId).toBe(dataset.id);
      });
    });

    describe('searchRuns', () => {
      it('pages newest first with the total of all matches', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) ids.push((await h.store.createRun(makeRun({ name: `r${i}` }))).id);
        const first = await h.store.searchRuns({ limit: 3, offset: 0 });
        expect([first.total, first.more]).toEqual([7, true]);
        expect(first.items.map((r) => r.name)).toEqual(['r6', 'r5', 'r4']);
        const last = await h.store.searchRuns({ limit: 3, offset: 6 });
        expect(last.items.map((r) => r.name)).toEqual(['r0']);
        expect(last.more).toBe(false);
        expect((await h.store.searchRuns({ limit: 3, offset: 4 })).more).toBe(false); // exactly the last three
        // An empty page still counts: a count alone (limit 0), and an offset past the end.
        expect(await h.store.searchRuns({ limit: 0, offset: 0 })).toEqual({ items: [], total: 7, more: true });
        expect(await h.store.searchRuns({ limit: 3, offset: 10 })).toEqual({ items: [], total: 7, more: false });
        expect(await h.store.searchRuns({ limit: 3, offset: 0, status: 'failed' })).toEqual({ items: [], total: 0, more: false });
      });

      it('pages without counting when asked (count: false): the same page, and whether more follow', async () => {
        for (let i = 0; i < 5; i++) await h.store.createRun(makeRun({ name: `r${i}`, metrics: { acc: i / 10 } }));
        const sort = parseSort('metrics.acc:desc');
        const counted = await h.store.searchRuns({ limit: 2, offset: 1, sort });
        const uncounted = await h.store.searchRuns({ limit: 2, offset: 1, sort, count: false });
        expect(uncounted.items).toEqual(counted.items);
        expect(uncounted.items.map((r) => r.name)).toEqual(['r3', 'r2']);
        expect(uncounted.more).toBe(true);
        expect([null, 5]).toContain(uncounted.total); // a store may count anyway when it costs nothing
        expect((await h.store.searchRuns({ limit: 2, offset: 3, sort, count: false })).more).toBe(false);
      });

      it('answers every match’s id in the search’s order (searchRunIds), and the runs of ids in the order given (getRuns)', async () => {
        const made: Run[] = [];
        for (let i = 0; i < 9; i++) made.push(await h.store.createRun(makeRun({ name: `r${i}`, status: i % 3 ? 'pending' : 'running', metrics: i === 4 ? {} : { acc: (i * 7) % 5 } })));
        // Newest first; by a metric (ties newest first, a run without it last); filtered.
        expect(await h.store.searchRunIds({})).toEqual(made.map((r) => r.id).reverse());
        const sort = parseSort('metrics.acc:asc');
        const all = await h.store.searchRuns({ limit: 100, offset: 0, sort });
        expect(await h.store.searchRunIds({ sort })).toEqual(all.items.map((r) => r.id));
        expect((await h.store.searchRunIds({ sort })).map((id) => made.find((r) => r.id === id)!.name)).toEqual(['r5', 'r0', 'r8', 'r3', 'r6', 'r1', 'r7', 'r2', 'r4']); // acc 0, 0, 1, 1, 2, 2, 4, 4, none
        expect(await h.store.searchRunIds({ filter: parseFilter('metrics.acc >= 3'), status: 'pending' })).toEqual([made[7]!.id, made[2]!.id]); // acc 4; r8 has 1, r4 none
        expect(await h.store.searchRunIds({ status: 'failed' })).toEqual([]);
        // getRuns: as stored, in the order asked, an unknown id left out.
        const picked = [made[6]!.id, '9'.repeat(32), made[2]!.id];
        expect(await h.store.getRuns(picked)).toEqual([made[6], made[2]]);
        expect(await h.store.getRuns([])).toEqual([]);
      });

      it('filters by status', async () => {
        await h.store.createRun(makeRun({ name: 'a' }));
        await h.store.createRun(makeRun({ name: 'b', status: 'running' }));
        await h.store.createRun(makeRun({ name: 'c', status: 'running' }));
        const running = await h.store.searchRuns({ limit: 10, offset: 0, status: 'running' });
        expect(running.total).toBe(2);
        expect(running.items.map((r) => r.name).sort()).toEqual(['b', 'c']);
        expect(await h.store.countRunsByStatus()).toEqual({ pending: 1, running: 2, completed: 0, failed: 0 });
      });
    });

    describe('updateRun', () => {
      it('stores the changed record and keeps the id', async () => {
        const run = await h.store.createRun(makeRun());
        const updated = await h.store.updateRun(run.id, (r) => ({ ...r, id: 'ignored', name: 'renamed' }));
        expect(updated.id).toBe(run.id);
        expect((await h.store.getRun(run.id)).name).toBe('renamed');
      });

      it('leaves the record unchanged when the change throws', async () => {
        const run = await h.store.createRun(makeRun({ status: 'completed' }));
        await expectAppError(
          h.store.updateRun(run.id, (r) => updatedRun(r, { status: 'running', name: 'x' })),
          409,
          'conflict',
        );
        expect(await h.store.getRun(run.id)).toEqual(run);
      });

      it('answers 404 for an unknown id', async () => {
        await expectAppError(h.store.updateRun('1'.repeat(32), (r) => r), 404, 'not_found');
      });

      it('loses no update: 50 concurrent merges of different tags leave all 50', async () => {
        const run = await h.store.createRun(makeRun());
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => h.store.updateRun(run.id, (r) => updatedRun(r, { tags: { [`t${i}`]: String(i) } }))),
        );
        const tags = (await h.store.getRun(run.id)).tags;
        expect(Object.keys(tags)).toHaveLength(50);
        expect(tags.t49).toBe('49');
      });

      it('changes several runs as one: all of them, or none when one change throws or one id is unknown', async () => {
        const a = await h.store.createRun(makeRun({ status: 'running' }));
        const b = await h.store.createRun(makeRun({ status: 'completed' }));
        const c = await h.store.createRun(makeRun({ status: 'pending' }));
        await expectAppError(h.store.updateRuns([a.id, b.id, c.id], (r) => updatedRun(r, { status: 'running', tags: { bulk: '1' } })), 409, 'conflict'); // completed → running
        await expectAppError(h.store.updateRuns([a.id, '1'.repeat(32)], (r) => updatedRun(r, { tags: { bulk: '1' } })), 404, 'not_found');
        expect([await h.store.getRun(a.id), await h.store.getRun(b.id), await h.store.getRun(c.id)]).toEqual([a, b, c]);
        const changed = await h.store.updateRuns([c.id, a.id], (r) => updatedRun(r, { tags: { bulk: '1' } }));
        expect(changed.map((r) => r.id)).toEqual([c.id, a.id]);
        expect([(await h.store.getRun(a.id)).tags.bulk, (await h.store.getRun(c.id)).tags.bulk, (await h.store.getRun(b.id)).tags.bulk]).toEqual(['1', '1', undefined]);
        // Indexed for search as any update is.
        expect((await h.store.searchRuns({ limit: 10, offset: 0, filter: parseFilter("tags.bulk = '1'") })).total).toBe(2);
      });
    });

    describe('concurrency', () => {
      it('300 concurrent creates give 300 runs', async () => {
        const runs = Array.from({ length: 300 }, (_, i) => makeRun({ name: `c${i}` }));
        await Promise.all(runs.map((r) => h.store.createRun(r)));
        const all = await h.store.searchRuns({ limit: 1000, offset: 0 });
        expect(all.total).toBe(300);
        expect(new Set(all.items.map((r) => r.id))).toEqual(new Set(runs.map((r) => r.id)));
      });
    });

    describe('deleteRun', () => {
      it('removes the run; a second delete answers 404', async () => {
        const run = await h.store.createRun(makeRun());
        await h.store.deleteRun(run.id);
        await expectAppError(h.store.getRun(run.id), 404, 'not_found');
        await expectAppError(h.store.deleteRun(run.id), 404, 'not_found');
      });

      it('deletes several runs as one: all, or none when one id is unknown', async () => {
        const runs = await Promise.all([1, 2, 3].map(() => h.store.createRun(makeRun())));
        await expectAppError(h.store.deleteRuns([runs[0]!.id, '2'.repeat(32)]), 404, 'not_found');
        expect((await h.store.getRun(runs[0]!.id)).id).toBe(runs[0]!.id);
        await h.store.deleteRuns([runs[0]!.id, runs[2]!.id]);
        expect((await h.store.searchRuns({ limit: 10, offset: 0 })).items.map((r) => r.id)).toEqual([runs[1]!.id]);
      });
    });

    describe('experiments', () => {
      it('starts with the Default experiment "0" and numbers new ones after the highest id', async () => {
        expect((await h.store.listExperiments()).map((e) => [e.id, e.name, e.lifecycleStage])).toEqual([['0', 'Default', 'active']]);
        const a = await h.store.createExperiment({ name: 'churn', tags: { team: 'growth' } });
        const b = await h.store.createExperiment({ name: 'vision', artifactLocation: 's3://bucket/vision' });
        expect([a.id, b.id]).toEqual(['1', '2']);
        expect(a).toMatchObject({ name: 'churn', artifactLocation: 'mlflow-artifacts:/1', tags: { team: 'growth' }, lifecycleStage: 'active' });
        expect(b.artifactLocation).toBe('s3://bucket/vision');
        expect(await h.store.getExperiment('1')).toEqual(a);
        expect(await h.store.findExperimentByName('vision')).toEqual(b);
        expect(await h.store.findExperimentByName('nope')).toBeNull();
        await expectAppError(h.store.getExperiment('99'), 404, 'not_found');
      });

      it('refuses a taken name, on create and on rename, also when the holder is deleted', async () => {
        const a = await h.store.createExperiment({ name: 'a' });
        await h.store.updateExperiment(a.id, (e) => ({ ...e, lifecycleStage: 'deleted' }));
        await expectAppError(h.store.createExperiment({ name: 'a' }), 409, 'conflict');
        const b = await h.store.createExperiment({ name: 'b' });
        await expectAppError(h.store.updateExperiment(b.id, (e) => ({ ...e, name: 'a' })), 409, 'conflict');
        expect((await h.store.getExperiment(b.id)).name).toBe('b');
      });

      it('files runs under their experiment; lists leave soft-deleted runs out unless asked', async () => {
        const exp = await h.store.createExperiment({ name: 'sweep' });
        const inDefault = await h.store.createRun(makeRun({ name: 'd' }));
        const inSweep = await h.store.createRun(makeRun({ name: 's', experimentId: exp.id }));
        const gone = await h.store.createRun(makeRun({ name: 'g', experimentId: exp.id }));
        await h.store.updateRun(gone.id, (r) => ({ ...r, lifecycleStage: 'deleted' }));
        const ids = async (options: Partial<Parameters<Store['searchRuns']>[0]>) => (await h.store.searchRuns({ limit: 10, offset: 0, ...options })).items.map((r) => r.id);
        expect(inDefault.experimentId).toBe('0');
        expect(await ids({})).toEqual([inSweep.id, inDefault.id]);
        expect(await ids({ experimentIds: [exp.id] })).toEqual([inSweep.id]);
        expect(await ids({ experimentIds: [exp.id], lifecycle: 'deleted' })).toEqual([gone.id]);
        expect(await ids({ lifecycle: 'all' })).toEqual([gone.id, inSweep.id, inDefault.id]);
        await expectAppError(h.store.createRun(makeRun({ name: 'x', experimentId: '77' })), 422, 'unprocessable_entity');
        expect(await h.store.countRunsByStatus()).toEqual({ pending: 2, running: 0, completed: 0, failed: 0 }); // the deleted one not counted
        expect((await h.store.runStatistics()).total).toBe(2);
      });

      it('deletes and restores an experiment with its runs in one change, refusing a repeat', async () => {
        const exp = await h.store.createExperiment({ name: 'lifecycle' });
        const kept = await h.store.createRun(makeRun({ name: 'kept', experimentId: exp.id }));
        const other = await h.store.createRun(makeRun({ name: 'other' }));
        const deleted = await h.store.setExperimentLifecycle(exp.id, 'deleted', () => new Error('already'));
        expect(deleted.lifecycleStage).toBe('deleted');
        expect((await h.store.getRun(kept.id)).lifecycleStage).toBe('deleted');
        expect((await h.store.getRun(other.id)).lifecycleStage).toBe('active');
        await expect(h.store.setExperimentLifecycle(exp.id, 'deleted', (current) => new Error(`already ${current.lifecycleStage}`))).rejects.toThrow('already deleted');
        // Of concurrent restores exactly one is accepted.
        const results = await Promise.allSettled(Array.from({ length: 8 }, () => h.store.setExperimentLifecycle(exp.id, 'active', () => new Error('already active'))));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect((await h.store.getRun(kept.id)).lifecycleStage).toBe('active');
        await expectAppError(h.store.setExperimentLifecycle('99', 'deleted', () => new Error('x')), 404, 'not_found');
      });

      it('checks the experiment and dataset on every create, also after runs were created in it', async () => {
        const exp = await h.store.createExperiment({ name: 'checked', artifactLocation: 's3://bucket/first' });
        const dataset = await h.store.createDataset(makeDataset());
        await h.store.createRun(makeRun({ experimentId: exp.id, datasetId: dataset.id }));
        await h.store.createRun(makeRun({ experimentId: exp.id }));
        await expectAppError(h.store.createRun(makeRun({ experimentId: exp.id, datasetId: 'e'.repeat(32) })), 422, 'unprocessable_entity');
        await h.store.setExperimentLifecycle(exp.id, 'deleted', () => new Error('already'));
        await expectAppError(h.store.createRun(makeRun({ experimentId: exp.id })), 422, 'unprocessable_entity');
        await h.store.setExperimentLifecycle(exp.id, 'active', () => new Error('already'));
        const later = await h.store.createRun(makeRun({ experimentId: exp.id, name: 'later' }));
        const byUri = async (uri: string) => (await h.store.searchRuns({ limit: 10, offset: 0, experimentIds: [exp.id], filter: parseFilter(`attributes.artifact_uri LIKE '${uri}%'`) })).items.map((r) => r.id);
        expect(await byUri(`s3://bucket/first/${later.id}`)).toEqual([later.id]);
      });
    });

    describe('users, tokens and sessions', () => {
      const user = (name: string, role: UserRecord['role'] = 'editor'): UserRecord => ({ name, role, passwordHash: `scrypt$hash-of-${name}`, createdAt: '2026-12-05T00:00:00.000Z', updatedAt: '2026-12-05T00:00:00.000Z' });
      const token = (id: string, owner: string): TokenRecord => ({ id, user: owner, name: `token ${id}`, secretHash: `sha-${id}`, createdAt: '2026-12-05T00:00:00.000Z', expiresAt: null, lastUsedAt: null });
      const session = (id: string, owner: string): SessionRecord => ({ id, user: owner, csrf: `csrf-${id}`, createdAt: '2026-12-05T00:00:00.000Z', expiresAt: '2026-12-06T00:00:00.000Z' });

      it('stores each kind by its key, lists them oldest first, and refuses a taken key with 409', async () => {
        await h.store.createAuthRecord('user', user('ada', 'admin'));
        await h.store.createAuthRecord('user', user('bob'));
        await h.store.createAuthRecord('token', token('t1', 'bob'));
        await h.store.createAuthRecord('session', session('s1', 'ada'));
        expect(await h.store.getAuthRecord('user', 'ada')).toEqual(user('ada', 'admin'));
        expect(await h.store.getAuthRecord('token', 't1')).toEqual(token('t1', 'bob'));
        expect(await h.store.getAuthRecord('session', 's1')).toEqual(session('s1', 'ada'));
        expect(await h.store.getAuthRecord('user', 't1')).toBeNull(); // keys are per kind
        expect((await h.store.listAuthRecords('user')).map((u) => u.name)).toEqual(['ada', 'bob']);
        expect(await h.store.listAuthRecords('token')).toEqual([token('t1', 'bob')]);
        await expectAppError(h.store.createAuthRecord('user', user('ada', 'viewer')), 409, 'conflict');
        expect((await h.store.getAuthRecord('user', 'ada'))!.role).toBe('admin');
      });

      it('updates atomically (concurrent changes all kept), answers 404 for an unknown key, and hands out copies', async () => {
        await h.store.createAuthRecord('token', token('t1', 'bob'));
        await Promise.all(Array.from({ length: 10 }, (_, i) => h.store.updateAuthRecord('token', 't1', (t) => ({ ...t, name: `${t.name}|${i}` }))));
        const name = (await h.store.getAuthRecord('token', 't1'))!.name;
        expect(name.split('|').slice(1).sort()).toEqual(Array.from({ length: 10 }, (_, i) => String(i)).sort());
        await expectAppError(h.store.updateAuthRecord('token', 'nope', (t) => t), 404, 'not_found');
        const got = (await h.store.getAuthRecord('token', 't1'))!;
        got.name = 'changed outside';
        expect((await h.store.getAuthRecord('token', 't1'))!.name).toBe(name);
      });

      it('deletes one record, and a user with its tokens and sessions but no one else\'s', async () => {
        for (const name of ['ada', 'bob']) await h.store.createAuthRecord('user', user(name));
        await h.store.createAuthRecord('token', token('t-ada', 'ada'));
        await h.store.createAuthRecord('token', token('t-bob', 'bob'));
        await h.store.createAuthRecord('session', session('s-bob', 'bob'));
        await h.store.createAuthRecord('session', session('s-ada', 'ada'));
        expect(await h.store.deleteAuthRecord('token', 't-ada')).toBe(true);
        expect(await h.store.deleteAuthRecord('token', 't-ada')).toBe(false);
        expect(await h.store.deleteAuthRecord('user', 'bob')).toBe(true);
        expect((await h.store.listAuthRecords('user')).map((u) => u.name)).toEqual(['ada']);
        expect(await h.store.listAuthRecords('token')).toEqual([]);
        expect((await h.store.listAuthRecords('session')).map((x) => x.id)).toEqual(['s-ada']);
        expect(await h.store.deleteAuthRecord('user', 'nobody')).toBe(false);
      });

      it("keeps a user's grants with the user, and deletes them with it", async () => {
        await h.store.createAuthRecord('user', user('ada'));
        const grant = { id: 'experiment:ada:7', object: 'experiment' as const, objectId: '7', user: 'ada', level: 'edit' as const, by: 'root', updatedAt: '2026-01-01T00:00:00.000Z' };
        await h.store.createAuthRecord('permission', grant);
        await h.store.createAuthRecord('permission', { ...grant, id: 'experiment:*:7', user: '*', level: 'none' });
        expect(await h.store.getAuthRecord('permission', 'experiment:ada:7')).toEqual(grant);
        expect(await h.store.deleteAuthRecord('user', 'ada')).toBe(true);
        expect((await h.store.listAuthRecords('permission')).map((p) => p.user)).toEqual(['*']);
      });
    });

    describe('the audit log', () => {
      const entry = (i: number, user = 'ada', action = 'run.created') => ({ at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), user, action, objectType: 'run', objectId: `r${i}`, address: '10.0.0.1' });
      it('numbers entries in the order written and lists them newest first, filtered and paged, with the count matching', async () => {
        expect(await h.store.listAudit({ limit: 10, offset: 0 })).toEqual({ items: [], total: 0 });
        await h.store.appendAudit([entry(1), entry(2, 'bob')]);
        await Promise.all([h.store.appendAudit([entry(3, 'ada', 'run.deleted')]), h.store.appendAudit([entry(4, 'bob', 'run.deleted')])]);
        await h.store.appendAudit([]);
        const all = await h.store.listAudit({ limit: 10, offset: 0 });
        expect(all.total).toBe(4);
        expect(all.items.map((e) => e.seq)).toEqual([4, 3, 2, 1]);
        expect(all.items.at(-1)).toEqual({ seq: 1, ...entry(1) });
        expect(new Set(all.items.slice(0, 2).map((e) => e.objectId))).toEqual(new Set(['r3', 'r4'])); // concurrent: either order
        const bob = await h.store.listAudit({ user: 'bob', limit: 10, offset: 0 });
        expect([bob.total, bob.items.map((e) => e.user)]).toEqual([2, ['bob', 'bob']]);
        const deletedByAda = await h.store.listAudit({ user: 'ada', action: 'run.deleted', limit: 10, offset: 0 });
        expect(deletedByAda.items.map((e) => e.objectId)).toEqual(['r3']);
        const page = await h.store.listAudit({ limit: 2, offset: 1 });
        expect([page.total, page.items.map((e) => e.seq)]).toEqual([4, [3, 2]]);
        expect((await h.store.listAudit({ user: "x' OR '1'='1", limit: 10, offset: 0 })).total).toBe(0); // data, not SQL
      });
    });

    describe('datasets', () => {
      it('creates, gets, lists newest first and deletes', async () => {
        const a = await h.store.createDataset(makeDataset({ name: 'a' }));
        const b = await h.store.createDataset(makeDataset({ name: 'b' }));
        expect(await h.store.getDataset(a.id)).toEqual(a);
        const page = await h.store.listDatasets({ limit: 10, offset: 0 });
        expect(page.items.map((d) => d.name)).toEqual(['b', 'a']);
        await h.store.deleteDataset(b.id);
        expect((await h.store.listDatasets({ limit: 10, offset: 0 })).total).toBe(1);
      });

      it('numbers versions of a name, links each to its parent, and dedupes identical content', async () => {
        const diff = () => ({ added: ['x'], removed: [], typeChanged: [] });
        const { id: _1, version: _v, parentId: _p, schemaChanges: _s, ...base } = makeDataset({ name: 'iris', checksum: 'a'.repeat(64) });
        const v1 = await h.store.addDatasetVersion({ ...base, id: 'v1' }, diff);
        expect(v1).toMatchObject({ deduplicated: false, dataset: { version: 1, parentId: null, schemaChanges: null } });
        const v2 = await h.store.addDatasetVersion({ ...base, id: 'v2', checksum: 'b'.repeat(64) }, diff);
        expect(v2.dataset).toMatchObject({ version: 2, parentId: 'v1', schemaChanges: { added: ['x'] } });
        const same = await h.store.addDatasetVersion({ ...base, id: 'v3', checksum: 'b'.repeat(64) }, diff);
        expect(same).toMatchObject({ deduplicated: true, dataset: { id: 'v2' } });
        const other = await h.store.addDatasetVersion({ ...base, id: 'o1', name: 'other' }, diff);
        expect(other.dataset.version).toBe(1);
        expect((await h.store.latestDatasetVersion('iris'))?.id).toBe('v2');
        expect(await h.store.latestDatasetVersion('nope')).toBeNull();
        expect((await h.store.listDatasets({ limit: 10, offset: 0, name: 'iris' })).items.map((d) => d.id)).toEqual(['v2', 'v1']);
        expect((await h.store.listDatasets({ limit: 10, offset: 0, latest: true })).items.map((d) => d.id)).toEqual(['o1', 'v2']);
      });

      it('gives concurrent new versions of one name distinct numbers', async () => {
        const { id: _1, version: _v, parentId: _p, schemaChanges: _s, ...base } = makeDataset({ name: 'n' });
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => h.store.addDatasetVersion({ ...base, id: `c${i}`, checksum: String(i).repeat(64) }, () => null)),
        );
        expect(results.map((r) => r.dataset.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      });

      it('updates a dataset atomically and keeps its id', async () => {
        const d = await h.store.createDataset(makeDataset({ description: 'old' }));
        const updated = await h.store.updateDataset(d.id, (cur) => ({ ...cur, id: 'x', description: 'new' }));
        expect(updated).toMatchObject({ id: d.id, description: 'new' });
        await expectAppError(h.store.updateDataset('missing', (cur) => cur), 404, 'not_found');
      });

      it('refuses with 409 to delete a dataset a run uses', async () => {
        const d = await h.store.createDataset(makeDataset());
        await h.store.createRun(makeRun({ datasetId: d.id }));
        await expectAppError(h.store.deleteDataset(d.id), 409, 'conflict');
        expect((await h.store.getDataset(d.id)).id).toBe(d.id);
      });
    });
    describe('model registry', () => {
      it('numbers versions 1, 2, 3 …; 20 concurrent registrations get 20 distinct consecutive numbers', async () => {
        await h.store.createRegisteredModel({ name: 'churn', description: '', tags: {} });
        const versions = await Promise.all(Array.from({ length: 20 }, () => h.store.createModelVersion('churn', draft())));
        expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect((await h.store.getRegisteredModel('churn')).lastVersion).toBe(20);
      });

      it('never reuses a deleted version number', async () => {
        await h.store.createRegisteredModel({ name: 'm', description: '', tags: {} });
        await h.store.createModelVersion('m', draft());
        await h.store.createModelVersion('m', draft());
        await h.store.deleteModelVersion('m', 2);
        expect((await h.store.createModelVersion('m', draft())).version).toBe(3);
        expect((await h.store.listModelVersions('m')).map((v) => v.version)).toEqual([1, 3]);
      });

      it('refuses a taken name on create and rename; a rename takes the versions along', async () => {
        await h.store.createRegisteredModel({ name: 'a', description: '', tags: {} });
        await h.store.createRegisteredModel({ name: 'b', description: '', tags: {} });
        await h.store.createModelVersion('a', draft());
        await expectAppError(h.store.createRegisteredModel({ name: 'a', description: '', tags: {} }), 409, 'conflict');
        await expectAppError(h.store.renameRegisteredModel('a', 'b'), 409, 'conflict');
        await h.store.renameRegisteredModel('a', 'c');
        await expectAppError(h.store.getRegisteredModel('a'), 404, 'not_found');
        expect((await h.store.getModelVersion('c', 1)).name).toBe('c');
        expect((await h.store.listRegisteredModels()).map((e) => e.model.name)).toEqual(['b', 'c']);
      });

      it('moves an alias atomically: 20 concurrent moves leave it on one existing version; unknown versions are 404', async () => {
        await h.store.createRegisteredModel({ name: 'm', description: '', tags: {} });
        for (let i = 0; i < 5; i++) await h.store.createModelVersion('m', draft());
        const moves = await Promise.all(Array.from({ length: 20 }, (_, i) => h.store.setRegisteredModelAlias('m', 'champion', (i % 5) + 1)));
        expect(moves.at(-1)!.aliases).toEqual({ champion: 5 }); // applied in arrival order: the last one wins
        expect((await h.store.getRegisteredModel('m')).aliases).toEqual({ champion: 5 });
        await expectAppError(h.store.setRegisteredModelAlias('m', 'champion', 9), 404, 'not_found');
        await expectAppError(h.store.deleteRegisteredModelAlias('m', 'nope'), 404, 'not_found');
      });

      it('deleting a version removes the aliases that named it, and only those', async () => {
        await h.store.createRegisteredModel({ name: 'm', description: '', tags: {} });
        await h.store.createModelVersion('m', draft());
        await h.store.createModelVersion('m', draft());
        await h.store.setRegisteredModelAlias('m', 'champion', 1);
        await h.store.setRegisteredModelAlias('m', 'old', 1);
        await h.store.setRegisteredModelAlias('m', 'challenger', 2);
        expect((await h.store.deleteModelVersion('m', 1)).removedAliases.sort()).toEqual(['champion', 'old']);
        expect((await h.store.getRegisteredModel('m')).aliases).toEqual({ challenger: 2 });
      });

      it('moves a version to a stage, archiving the others in it when asked', async () => {
        await h.store.createRegisteredModel({ name: 'm', description: '', tags: {} });
        for (let i = 0; i < 3; i++) await h.store.createModelVersion('m', draft());
        await h.store.transitionModelVersionStage('m', 1, 'Production', false);
        await h.store.transitionModelVersionStage('m', 2, 'Production', false);
        expect((await h.store.listModelVersions('m')).map((v) => v.stage)).toEqual(['Production', 'Production', 'None']);
        await h.store.transitionModelVersionStage('m', 3, 'Production', true);
        expect((await h.store.listModelVersions('m')).map((v) => v.stage)).toEqual(['Archived', 'Archived', 'Production']);
        // The stage only moves through a transition.
        await h.store.updateModelVersion('m', 3, (v) => ({ ...v, description: 'best', stage: 'None' }));
        expect(await h.store.getModelVersion('m', 3)).toMatchObject({ description: 'best', stage: 'Production' });
      });

      it('refuses a version of an unknown run or logged model (422) and of an unknown model (404)', async () => {
        await h.store.createRegisteredModel({ name: 'm', description: '', tags: {} });
        await expectAppError(h.store.createModelVersion('m', draft({ runId: 'f'.repeat(32) })), 422, 'unprocessable_entity');
        await expectAppError(h.store.createModelVersion('m', draft({ modelId: `m-${'f'.repeat(32)}` })), 422, 'unprocessable_entity');
        await expectAppError(h.store.createModelVersion('nope', draft()), 404, 'not_found');
        expect((await h.store.getRegisteredModel('m')).lastVersion).toBe(0);
      });

      it('stores logged models, finds them by run, name and experiment, and keeps their artifact records', async () => {
        const run = await h.store.createRun(makeRun());
        const a = await h.store.createLoggedModel(loggedModel({ sourceRunId: run.id, name: 'model' }));
        await h.store.createLoggedModel(loggedModel({ name: 'other' }));
        expect((await h.store.searchLoggedModels({ runIds: [run.id], limit: 10, offset: 0 })).items.map((m) => m.id)).toEqual([a.id]);
        expect((await h.store.searchLoggedModels({ name: 'other', limit: 10, offset: 0 })).total).toBe(1);
        expect((await h.store.searchLoggedModels({ experimentIds: ['0'], limit: 1, offset: 0 })).total).toBe(2);
        await h.store.putArtifact({ runId: a.id, path: 'other/MLmodel', category: 'other', size: 3, sha256: 'a'.repeat(64), contentType: 'text/plain', createdAt: a.createdAt });
        expect((await h.store.listArtifacts(a.id)).map((x) => x.path)).toEqual(['other/MLmodel']);
        await expectAppError(h.store.createLoggedModel(loggedModel({ sourceRunId: 'f'.repeat(32) })), 422, 'unprocessable_entity');
        await expectAppError(h.store.putArtifact({ runId: `m-${'e'.repeat(32)}`, path: 'other/x', category: 'other', size: 1, sha256: 'a'.repeat(64), contentType: 'text/plain', createdAt: a.createdAt }), 404, 'not_found');
      });

      it('refuses (409, naming the versions) to delete a run or logged model that is registered; otherwise the run takes its logged models along', async () => {
        const run = await h.store.createRun(makeRun());
        const model = await h.store.createLoggedModel(loggedModel({ sourceRunId: run.id }));
        await h.store.createRegisteredModel({ name: 'm', description: '', tags: {} });
        await h.store.createModelVersion('m', draft({ modelId: model.id, runId: run.id }));
        const refused = await h.store.deleteRun(run.id).catch((e: AppError) => e);
        expect(refused).toBeInstanceOf(AppError);
        expect((refused as AppError).status).toBe(409);
        expect((refused as AppError).details).toEqual({ versions: [{ name: 'm', version: 1 }] });
        await expectAppError(h.store.deleteLoggedModel(model.id), 409, 'conflict');
        await h.store.deleteModelVersion('m', 1);
        expect(await h.store.deleteRun(run.id)).toEqual({ loggedModels: [model.id] });
        await expectAppError(h.store.getLoggedModel(model.id), 404, 'not_found');
      });
    });
  });
}
