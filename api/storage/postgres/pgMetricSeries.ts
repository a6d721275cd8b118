/**
 * Metric series in PostgreSQL (metric_chunks: one row per key of each append, its points as arrays;
 * metric_summaries: each key's summary, kept as points arrive), with the PostgreSQL store: every process sees every
 * point, and a point is durable when its transaction commits. The same rules as the files
 * (MetricSeriesStore): a missing step is the key's last step + 1, a run's appends apply one after
 * another, the latest value is the last one logged at the largest step, and NaN and the infinities
 * are kept (double precision holds them). Node only.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { MetricSummary } from '../../../src/shared/contract/types';
import { KeyedLock } from '../../../src/shared/keyedLock';
import { addToSummary, downsample, newSummary, type MetricInput, type MetricPoint, type MetricSeries } from '../metricSeries';
import { transaction } from './resilientPool';

type SummaryRow = { key: string; count: string; nonfinite: string; min: number | null; max: number | null; last: number; last_step: string; last_ts: string };

const SUMMARY_COLUMNS = 'key, count, nonfinite, min, max, last, last_step, last_ts';

const summaryOf = (r: SummaryRow): MetricSummary => ({
  key: r.key,
  last: r.last,
  lastStep: Number(r.last_step),
  lastTimestamp: Number(r.last_ts),
  // As the files keep them: no finite value leaves min at +∞ and max at −∞.
  min: r.min ?? Infinity,
  max: r.max ?? -Infinity,
  count: Number(r.count),
  nonFinite: Number(r.nonfinite),
});

/** Removes a run's points and summaries (inside the caller's transaction). */
export async function deleteSeries(client: pg.PoolClient, runIds: string[]): Promise<void> {
  await client.query('DELETE FROM metric_chunks WHERE run_id = ANY($1::text[])', [runIds]);
  await client.query('DELETE FROM metric_summaries WHERE run_id = ANY($1::text[])', [runIds]);
}

const finiteOrNull = (n: number) => (Number.isFinite(n) ? n : null);

/** Summaries as the eight arrays the statements unnest (key, count, nonfinite, min, max, last, last_step, last_ts). */
const summaryColumns = (rows: MetricSummary[]) => [
  rows.map((r) => r.key),
  rows.map((r) => r.count),
  rows.map((r) => r.nonFinite),
  rows.map((r) => finiteOrNull(r.min)),
  rows.map((r) => finiteOrNull(r.max)),
  rows.map((r) => r.last),
  rows.map((r) => r.lastStep),
  rows.map((r) => r.lastTimestamp),
];

/** The advisory lock that orders appends to a run's series across processes: a 64-bit number from its id. */
export const seriesLockKey = (runId: string): string => createHash('sha256').update(`metrics:${runId}`).digest().readBigInt64BE(0).toString();

/**
 * A PostgreSQL array literal of numbers built here rather than by pg's generic serialiser, which
 * prepares and escapes every element on its own (11 % of a metric append's time for 1,000 points in
 * the profile): JavaScript's decimal form, which float8 and bigint read back exactly (NaN and
 * ±Infinity included; steps and timestamps are safe integers).
 */
export const numberArray = (values: number[]): string => `{${values.join(',')}}`;

/**
 * A batch's points grouped by key (in arrival order within a key, keys in the order they first
 * appear), with each key's bounds in the grouped arrays (lows, highs: 1-based, inclusive), so that
 * CHUNKS cuts each key's chunk row out of them: PostgreSQL sorting 1,000 points by key to group
 * them took a third of an append's statement (EXPLAIN ANALYZE).
 */
function groupedByKey(keys: string[], inputs: MetricInput[], steps: number[], timestamps: number[]) {
  const slot = new Map(keys.map((k, i) => [k, i]));
  const highs = keys.map(() => 0);
  for (const p of inputs) highs[slot.get(p.key)!]!++;
  for (let i = 1; i < highs.length; i++) highs[i]! += highs[i - 1]!;
  const lows = highs.map((_, i) => (i === 0 ? 1 : highs[i - 1]! + 1));
  const next = lows.map((low) => low - 1);
  const [grouped, values, times] = [new Array<number>(inputs.length), new Array<number>(inputs.length), new Array<number>(inputs.length)];
  for (let i = 0; i < inputs.length; i++) {
    const at = next[slot.get(inputs[i]!.key)!]!++;
    grouped[at] = steps[i]!;
    values[at] = inputs[i]!.value;
    times[at] = timestamps[i]!;
  }
  return [numberArray(grouped), numberArray(values), numberArray(times), lows, highs];
}

/**
 * The chunk rows of a batch, one per key in the order keys first appear ($1 the run, $2–$4 the
 * grouped steps, values and timestamps, $5–$6 each key's bounds, $7 the keys: groupedByKey's
 * arrays, then summaryColumns'), as a CTE; `after`: a condition that makes it wait for another CTE.
 */
const chunksCte = (after = 'true') => `points AS MATERIALIZED (SELECT $2::bigint[] AS s, $3::float8[] AS v, $4::bigint[] AS t),
       chunks AS (
         INSERT INTO metric_chunks (run_id, key, steps, vals, timestamps)
         SELECT $1, g.k, p.s[g.lo:g.hi], p.v[g.lo:g.hi], p.t[g.lo:g.hi]
         FROM points p, unnest($7::text[], $5::int[], $6::int[]) WITH ORDINALITY AS g(k, lo, hi, i)
         WHERE ${after}
         ORDER BY g.i
       )`;

export class PgMetricSeries implements MetricSeries {
  /** A run's appends from this process, in the order they arrived (the advisory lock orders processes). */
  private readonly inOrder = new KeyedLock();

  constructor(private readonly pool: pg.Pool) {}

  async append(runId: string, inputs: MetricInput[], now = Date.now()): Promise<{ stored: number; summaries: MetricSummary[] }> {
    return (await this.appendChecked(runId, inputs, now, false))!;
  }

  appendToRun(runId: string, inputs: MetricInput[], now = Date.now()): Promise<{ stored: number; summaries: MetricSummary[] } | null> {
    return this.appendChecked(runId, inputs, now, true);
  }

  /** null: `requireRun` and no run has the id (nothing written). */
  private appendChecked(runId: string, inputs: MetricInput[], now: number, requireRun: boolean): Promise<{ stored: number; summaries: MetricSummary[] } | null> {
    return this.inOrder.run(runId, async () => {
      if (inputs.length === 0) return requireRun && (await this.pool.query('SELECT 1 FROM runs WHERE id = $1', [runId])).rows.length === 0 ? null : { stored: 0, summaries: [] };
      const keys = [...new Set(inputs.map((p) => p.key))];
      const summaries = inputs.every((p) => p.step !== undefined) ? await this.appendSteps(runId, keys, inputs, now, requireRun) : await this.appendDefaulting(runId, keys, inputs, now, requireRun);
      // In the order the keys first appear in the request, as the files answer.
      return summaries && { stored: inputs.length, summaries };
    });
  }

  /**
   * Points that all carry their step (MLflow's clients always send one) in one statement: the run's
   * lock, then each key's summary merged with the batch's own (a key's latest value is the batch's
   * when its largest step is at least the stored one: what adding the points one by one gives), then
   * the chunk rows — one round trip instead of the four of a transaction that reads the summaries.
   */
  private async appendSteps(runId: string, keys: string[], inputs: MetricInput[], now: number, requireRun: boolean): Promise<MetricSummary[] | null> {
    const batch = new Map<string, MetricSummary>();
    const timestamps: number[] = [];
    for (const p of inputs) {
      const timestamp = p.timestamp ?? now;
      timestamps.push(timestamp);
      let summary = batch.get(p.key);
      if (!summary) batch.set(p.key, (summary = newSummary(p.key, p.value, p.step!, timestamp)));
      addToSummary(summary, p.value, p.step!, timestamp);
    }
    const rows = keys.map((k) => batch.get(k)!);
    const { rows: merged } = await this.pool.query<SummaryRow>(
      `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(${seriesLockKey(runId)}) AS done${requireRun ? ' WHERE EXISTS (SELECT 1 FROM runs WHERE id = $1)' : ''}),
       merged AS (
         INSERT INTO metric_summaries AS m (run_id, ${SUMMARY_COLUMNS})
         SELECT $1, k, c, n, lo, hi, l, ls, lt
         FROM unnest($7::text[], $8::bigint[], $9::bigint[], $10::float8[], $11::float8[], $12::float8[], $13::bigint[], $14::bigint[]) WITH ORDINALITY AS s(k, c, n, lo, hi, l, ls, lt, i)
         WHERE (SELECT count(*) FROM locked) = 1
         ORDER BY i
         ON CONFLICT (run_id, key) DO UPDATE SET count = m.count + excluded.count, nonfinite = m.nonfinite + excluded.nonfinite,
           min = least(m.min, excluded.min), max = greatest(m.max, excluded.max),
           last = CASE WHEN excluded.last_step >= m.last_step THEN excluded.last ELSE m.last END,
           last_ts = CASE WHEN excluded.last_step >= m.last_step THEN excluded.last_ts ELSE m.last_ts END,
           last_step = greatest(m.last_step, excluded.last_step)
         RETURNING ${SUMMARY_COLUMNS}
       ),
       ${chunksCte('(SELECT count(*) FROM merged) > 0')}
       SELECT * FROM merged`,
      [runId, ...groupedByKey(keys, inputs, inputs.map((p) => p.step!), timestamps), ...summaryColumns(rows)],
    );
    if (merged.length === 0) return null; // the run is not there (requireRun): nothing written
    for (let i = 0; i < inputs.length; i++) inputs[i]!.timestamp = timestamps[i]!;
    const byKey = new Map(merged.map((r) => [r.key, summaryOf(r)]));
    return keys.map((k) => byKey.get(k)!);
  }

  /** Points of which some take their key's next step: the stored summaries read first, under the run's lock. */
  private async appendDefaulting(runId: string, keys: string[], inputs: MetricInput[], now: number, requireRun: boolean): Promise<MetricSummary[] | null> {
    // The run's lock is taken with BEGIN, in one round trip (a number made here: no client text in SQL).
    const appended = await transaction(this.pool, async (client) => {
      if (requireRun && (await client.query('SELECT 1 FROM runs WHERE id = $1', [runId])).rows.length === 0) return null;
      const summaries = new Map(
        (await client.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM metric_summaries WHERE run_id = $1 AND key = ANY($2::text[])`, [runId, keys])).rows.map((r) => [r.key, summaryOf(r)]),
      );
      const nextStep = new Map<string, number>();
      const steps: number[] = [];
      const timestamps: number[] = [];
      for (const p of inputs) {
        const previous = summaries.get(p.key);
        const next = nextStep.get(p.key) ?? (previous ? previous.lastStep + 1 : 0);
        const step = p.step ?? next;
        const timestamp = p.timestamp ?? now;
        nextStep.set(p.key, Math.max(next, step + 1));
        steps.push(step);
        timestamps.push(timestamp);
        let summary = previous;
        if (!summary) summaries.set(p.key, (summary = newSummary(p.key, p.value, step, timestamp)));
        addToSummary(summary, p.value, step, timestamp);
      }
      // In one statement: one chunk row per key (seq in the order keys first appear), and each key's
      // summary inserted (ord: first appearance) or replaced.
      const rows = keys.map((k) => summaries.get(k)!);
      await client.query(
        `WITH ${chunksCte()}
         INSERT INTO metric_summaries (run_id, ${SUMMARY_COLUMNS})
         SELECT $1, k, c, n, lo, hi, l, ls, lt
         FROM unnest($7::text[], $8::bigint[], $9::bigint[], $10::float8[], $11::float8[], $12::float8[], $13::bigint[], $14::bigint[]) WITH ORDINALITY AS s(k, c, n, lo, hi, l, ls, lt, i) ORDER BY i
         ON CONFLICT (run_id, key) DO UPDATE SET count = excluded.count, nonfinite = excluded.nonfinite, min = excluded.min, max = excluded.max,
           last = excluded.last, last_step = excluded.last_step, last_ts = excluded.last_ts`,
        [runId, ...groupedByKey(keys, inputs, steps, timestamps), ...summaryColumns(rows)],
      );
      return { steps, timestamps, summaries: rows.map((r) => ({ ...r })) };
    }, `BEGIN; SELECT pg_advisory_xact_lock(${seriesLockKey(runId)})`);
    if (!appended) return null;
    const { steps, timestamps, summaries } = appended;
    for (let i = 0; i < inputs.length; i++) {
      inputs[i]!.step = steps[i]!;
      inputs[i]!.timestamp = timestamps[i]!;
    }
    return summaries;
  }

  async summaries(runId: string): Promise<MetricSummary[]> {
    return (await this.pool.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM metric_summaries WHERE run_id = $1 ORDER BY ord`, [runId])).rows.map(summaryOf);
  }

  async points(runId: string, key: string, maxPoints: number): Promise<MetricPoint[] | null> {
    const { rows } = await this.pool.query<{ step: string; value: number; ts: string }>(
      `SELECT u.step, u.value, u.ts FROM metric_chunks c CROSS JOIN LATERAL unnest(c.steps, c.vals, c.timestamps) WITH ORDINALITY AS u(step, value, ts, i)
       WHERE c.run_id = $1 AND c.key = $2 ORDER BY u.step, c.seq, u.i`,
      [runId, key],
    );
    if (rows.length === 0) return null;
    return downsample(rows.map((r) => ({ step: Number(r.step), value: r.value, timestamp: Number(r.ts) })), maxPoints);
  }

  async remove(runId: string): Promise<void> {
    await transaction(this.pool, async (client) => {
      await deleteSeries(client, [runId]);
    });
  }

  async close(): Promise<void> {}
}
