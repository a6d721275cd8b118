/**
 * Metric series in PostgreSQL answer exactly what the files answer (MetricSeriesStore, the
 * reference): for generated batches with given and defaulted steps, repeated steps, NaN and the
 * infinities — the stored points and their summaries after each batch, the points by step and their
 * downsampling, and a removed run.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricSeriesStore, type MetricInput } from '../../../../../api/storage/metricSeries';
import { migrate } from '../../../../../api/storage/postgres/migrate';
import { numberArray, PgMetricSeries } from '../../../../../api/storage/postgres/pgMetricSeries';
import { usePostgres } from '../../../../helpers/postgres';
import { tempDir } from '../../../../helpers/tmp';

const server = usePostgres();
let db: { url: string; drop: () => Promise<void> };
let pool: pg.Pool;
let files: MetricSeriesStore;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  db = await server.createDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => {});
  await migrate(pool);
  dir = await tempDir();
  files = new MetricSeriesStore(dir.dir);
});
afterAll(async () => {
  await files?.close();
  await dir?.cleanup();
  await pool?.end();
  await db?.drop();
});

const point = fc.record(
  {
    key: fc.constantFrom('loss', 'acc', 'a.b'),
    value: fc.oneof(fc.double({ min: -5, max: 5, noNaN: true }), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0)),
    step: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    timestamp: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
  },
  { requiredKeys: ['key', 'value'] },
);

describe('PgMetricSeries', () => {
  it('answers what the files answer, batch by batch', async () => {
    const database = new PgMetricSeries(pool);
    let n = 0;
    // A batch whose points all carry a step is appended in one statement, one with a defaulted step in a transaction that reads the summaries first: both kinds, mixed.
    const batch = fc.tuple(fc.array(point, { minLength: 1, maxLength: 6 }), fc.boolean()).map(([points, stepped]) => (stepped ? points.map((p, i) => ({ ...p, step: p.step ?? i % 4 })) : points));
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 9 }), async (batches, maxPoints) => {
        const runId = `run${n++}`;
        for (const batch of batches) {
          const copy = (): MetricInput[] => batch.map((p) => ({ ...p }));
          const [a, b] = [copy(), copy()];
          const fromFiles = await files.append(runId, a, 1000);
          const fromDb = await database.append(runId, b, 1000);
          expect(fromDb).toEqual(fromFiles);
          expect(b).toEqual(a); // the steps and timestamps given to defaulted points
        }
        expect(await database.summaries(runId)).toEqual(await files.summaries(runId));
        for (const key of ['loss', 'acc', 'a.b', 'none']) {
          expect(await database.points(runId, key, Number.POSITIVE_INFINITY), key).toEqual(await files.points(runId, key, Number.POSITIVE_INFINITY));
          expect(await database.points(runId, key, maxPoints), key).toEqual(await files.points(runId, key, maxPoints));
        }
        await database.remove(runId);
        await files.remove(runId);
        expect(await database.summaries(runId)).toEqual([]);
      }),
      { numRuns: 60, seed: Number(process.env.FC_SEED ?? 5122027) },
    );
  }, 120_000);

  it('keeps every point of concurrent batches to one run, with distinct defaulted steps', async () => {
    const database = new PgMetricSeries(pool);
    await Promise.all(Array.from({ length: 20 }, () => database.append('busy', [{ key: 'loss', value: 1 }])));
    const points = (await database.points('busy', 'loss', Number.POSITIVE_INFINITY))!;
    expect(points.map((p) => p.step)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('appends to a run only while the store holds it (appendToRun), with or without steps given', async () => {
    const database = new PgMetricSeries(pool);
    await pool.query(`INSERT INTO runs (id, experiment_id, lifecycle_stage, status, name, created_at, input_count, doc) VALUES ('held', '0', 'active', 'running', 'held', '2026-01-01', 0, '{}')`);
    for (const step of [3, undefined]) {
      expect(await database.appendToRun('missing', [{ key: 'loss', value: 1, step }])).toBeNull();
      expect(await database.appendToRun('held', [{ key: 'loss', value: 1, step }])).toMatchObject({ stored: 1, summaries: [{ key: 'loss', count: step === undefined ? 2 : 1 }] });
    }
    expect(await database.appendToRun('missing', [])).toBeNull();
    expect(await database.appendToRun('held', [])).toEqual({ stored: 0, summaries: [] });
    const left = await pool.query(`SELECT (SELECT count(*) FROM metric_chunks WHERE run_id = 'missing')::int + (SELECT count(*) FROM metric_summaries WHERE run_id = 'missing')::int AS n`);
    expect(left.rows[0].n).toBe(0);
  });

  it('agrees with its own points when two processes log the same steps to one run at once', async () => {
    // Two stores: two processes' worth of in-process ordering; the run's database lock orders them.
    const [one, two] = [new PgMetricSeries(pool), new PgMetricSeries(pool)];
    // Half the batches name their keys in the other order (without the run's lock, their summary rows would be locked in opposite orders).
    const batch = (value: number, flip: boolean) => Array.from({ length: 50 }, (_, i) => ({ key: i % 2 === Number(flip) ? 'loss' : 'acc', value: value + i, step: Math.floor(i / 2) }));
    await Promise.all(Array.from({ length: 16 }, (_, b) => (b % 2 ? one : two).append('shared', batch(b * 1000, b % 4 < 2))));
    for (const summary of await one.summaries('shared')) {
      const points = (await one.points('shared', summary.key, Number.POSITIVE_INFINITY))!;
      expect(points).toHaveLength(16 * 25);
      expect(summary.count).toBe(points.length);
      expect(summary.last).toBe(points.at(-1)!.value); // the last point at the largest step, in the order stored
      expect([summary.min, summary.max]).toEqual([Math.min(...points.map((p) => p.value)), Math.max(...points.map((p) => p.value))]);
    }
  });
});

describe('the array literals a metric append sends', () => {
  it('read back in PostgreSQL as exactly the numbers they were made of', async () => {
    const numbers = [0, -1.5, 1e-300, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1 + 0.2, Number.NaN, Infinity, -Infinity, 123456789.125, 1e21, -2e-7];
    const { rows } = await pool.query<{ v: number[] }>('SELECT $1::float8[] AS v', [numberArray(numbers)]);
    expect(rows[0]!.v.map((x) => Object.is(x, -0) ? 0 : x)).toEqual(numbers);
    const steps = [0, 1, Number.MAX_SAFE_INTEGER, -5];
    expect((await pool.query<{ v: string[] }>('SELECT $1::bigint[] AS v', [numberArray(steps)])).rows[0]!.v.map(Number)).toEqual(steps);
  });
});

describe('deleting a run in the PostgreSQL store', () => {
  it('takes its points and summaries with it', async () => {
    const { PgStore } = await import('../../../../../api/storage');
    const { makeRun } = await import('../../../../helpers/fixtures');
    const store = await PgStore.open(db.url, { log: () => {} });
    try {
      const run = await store.createRun(makeRun({ name: 'doomed' }));
      await store.metricSeries().append(run.id, [{ key: 'loss', value: 1 }, { key: 'acc', value: 0.5 }]);
      await store.deleteRun(run.id);
      const left = await pool.query('SELECT (SELECT count(*) FROM metric_chunks WHERE run_id = $1)::int + (SELECT count(*) FROM metric_summaries WHERE run_id = $1)::int AS n', [run.id]);
      expect(left.rows[0].n).toBe(0);
      expect(await store.metricSeries().summaries(run.id)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
