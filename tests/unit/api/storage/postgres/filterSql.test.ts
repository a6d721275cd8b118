/**
 * The filter language compiled to SQL over field rows answers, on a real PostgreSQL server, exactly
 * what the in-memory filter answers — for generated filters over generated runs with nested, odd and
 * missing values — and nothing a client writes reaches the SQL text.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterSql, sortSql, SqlParams } from '../../../../../api/storage/postgres/filterSql';
import { migrate } from '../../../../../api/storage/postgres/migrate';
import { indexedPageSql } from '../../../../../api/storage/postgres/pgStore';
import { fieldKey, fieldRowsOf } from '../../../../../src/shared/runs/fieldRows';
import { compileFilter, parseFilter, sortRuns, type FilterExpr, type SortSpec } from '../../../../../src/shared/runs/filter';
import type { Run } from '../../../../../src/shared/contract/types';
import { FIELDS, fieldOf, filterExpr, run } from '../../../../helpers/filterArbitraries';
import { startTestPostgres, type TestPostgres } from '../../../../helpers/postgres';

const context = { artifactLocation: (id: string) => `mlflow-artifacts:/${id}` };
let server: TestPostgres;
let db: { url: string; drop: () => Promise<void> };
let pool: pg.Pool;
const runs: Run[] = fc.sample(run, { numRuns: 120, seed: 20261205 });

beforeAll(async () => {
  server = await startTestPostgres();
  db = await server.createDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => {}); // idle connections end when the database is dropped
  await migrate(pool);
  for (const r of runs) {
    const { rows: inserted } = await pool.query<{ seq: string }>('INSERT INTO runs (id, experiment_id, lifecycle_stage, status, name, created_at, dataset_id, input_count, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq', [
      r.id, r.experimentId, r.lifecycleStage, r.status, r.name, r.createdAt, r.datasetId, r.inputs.length, JSON.stringify(r),
    ]);
    const rows = fieldRowsOf(r, context);
    if (rows.length === 0) continue;
    await pool.query(
      'INSERT INTO run_fields (run_seq, field, num, text, upper, bool) SELECT $1, * FROM unnest($2::text[], $3::float8[], $4::text[], $5::text[], $6::boolean[])',
      [inserted[0]!.seq, rows.map((x) => x.field), rows.map((x) => x.num), rows.map((x) => x.text), rows.map((x) => x.upper), rows.map((x) => x.bool)],
    );
  }
}, 120_000);
afterAll(async () => {
  await pool?.end();
  await db?.drop();
  await server?.stop();
});

async function matching(expr: FilterExpr): Promise<string[]> {
  const params = new SqlParams();
  const { rows } = await pool.query<{ id: string }>(`SELECT id FROM runs r WHERE ${filterSql(expr, params)} ORDER BY seq`, params.values);
  return rows.map((row) => row.id);
}

describe('filterSql on PostgreSQL', () => {
  it('finds exactly the runs the in-memory filter finds', async () => {
    await fc.assert(
      fc.asyncProperty(filterExpr, async (expr) => {
        expect(await matching(expr)).toEqual(runs.filter(compileFilter(expr, context)).map((r) => r.id));
      }),
      { numRuns: 500, seed: Number(process.env.FC_SEED ?? 51220261) },
    );
  }, 120_000);

  it('answers typical sweep filters as the in-memory filter does', async () => {
    for (const text of [
      "params.optimizer.name IN ('adam', 'sgd') AND metrics.loss < 0.5",
      "tags.team = 'risk' OR metrics.acc >= 1",
      'params.layers.length > 1',
      "name LIKE 'r%' AND NOT tags.team IS NULL",
      "attributes.status = 'FINISHED' OR attribute.run_name ILIKE 'R'",
      "dataset.context = 'training'",
      'dataset.context IS NULL',
    ]) {
      const expr = parseFilter(text);
      expect(await matching(expr), text).toEqual(runs.filter(compileFilter(expr, context)).map((r) => r.id));
    }
  });

  it('orders the runs as the in-memory sort does, by one key or two, in either direction', async () => {
    const sortable = FIELDS.filter((text) => !text.startsWith('dataset.'));
    const spec = fc.record({ text: fc.constantFrom(...sortable), direction: fc.constantFrom('asc', 'desc' as const), asText: fc.boolean() }).map(
      ({ text, direction, asText }): SortSpec => ({ field: { ...fieldOf(text), ...(asText && { sortAsText: true }) }, direction }),
    );
    const newestFirst = [...runs].reverse();
    await fc.assert(
      fc.asyncProperty(fc.array(spec, { minLength: 1, maxLength: 2 }), async (specs) => {
        const params = new SqlParams();
        const { joins, orderBy } = sortSql(specs, params);
        const { rows } = await pool.query<{ id: string }>(`SELECT r.id FROM runs r ${joins} ORDER BY ${orderBy}`, params.values);
        expect(rows.map((row) => row.id)).toEqual(sortRuns(newestFirst, specs, newestFirst.length, context).map((r) => r.id));
      }),
      { numRuns: 300, seed: Number(process.env.FC_SEED ?? 51220262) },
    );
  }, 120_000);

  it('reads a page in index order as the in-memory search pages it: the whole page when it fills it, a prefix of it otherwise', async () => {
    const sortable = FIELDS.filter((text) => !text.startsWith('dataset.'));
    const spec = fc.record({ text: fc.constantFrom(...sortable), direction: fc.constantFrom('asc', 'desc' as const), asText: fc.boolean() }).map(
      ({ text, direction, asText }): SortSpec => ({ field: { ...fieldOf(text), ...(asText && { sortAsText: true }) }, direction }),
    );
    const newestFirst = [...runs].reverse();
    let filled = 0;
    let textsLead = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.option(filterExpr, { nil: undefined }),
        fc.option(spec, { nil: undefined }),
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 150 }),
        async (filter, sort, limit, offset, budget) => {
          // A field sorted as a number with no number values at all is read through its texts.
          const numbers = sort ? (await pool.query('SELECT 1 FROM run_fields WHERE field = $1 AND num IS NOT NULL LIMIT 1', [fieldKey(sort.field)])).rows.length : 1;
          if (numbers === 0) textsLead++;
          const query = indexedPageSql({ lifecycle: 'all', limit, offset, ...(filter && { filter }), ...(sort && { sort }) }, budget, numbers === 0)!;
          const { rows } = await pool.query<{ doc: Run }>(query.text, query.values);
          const matches = filter ? newestFirst.filter(compileFilter(filter, context)) : newestFirst;
          const expected = sortRuns(matches, sort ? [sort] : [], matches.length, context).slice(offset, offset + limit).map((r) => r.id);
          const got = rows.map((row) => row.doc.id);
          if (got.length === limit) filled++;
          expect(got).toEqual(expected.slice(0, got.length));
          if (got.length === limit) expect(got).toEqual(expected);
        },
      ),
      { numRuns: 400, seed: Number(process.env.FC_SEED ?? 51220263) },
    );
    expect(filled).toBeGreaterThan(50); // the full-page case is exercised, not only prefixes
    expect(textsLead).toBeGreaterThan(10);
  }, 120_000);

  it('keeps hostile field names and values out of the SQL text', async () => {
    const hostile = ["x'; DROP TABLE runs; --", 'a"b', '$1', '\\', "' OR '1'='1"];
    for (const text of hostile) {
      const expr: FilterExpr = { type: 'or', items: [
        { type: 'compare', field: { text: 'tags.x', root: 'tags', path: [text] }, op: '=', value: text },
        { type: 'like', field: { text: 'params.x', root: 'params', path: [text, text] }, pattern: text, caseInsensitive: true, negate: false },
        { type: 'in', field: { text: 'name', root: 'name', path: [] }, values: [text, 1, true, null], negate: false },
      ] };
      const params = new SqlParams();
      const sql = filterSql(expr, params);
      expect(sql).not.toContain('DROP');
      expect(sql).not.toContain("'1'");
      expect(params.values).toContain(text);
      expect(await matching(expr)).toEqual(runs.filter(compileFilter(expr, context)).map((r) => r.id));
    }
    expect((await pool.query('SELECT count(*)::int AS n FROM runs')).rows[0].n).toBe(runs.length);
  });
});
