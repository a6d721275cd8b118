/**
 * Metric series in PostgreSQL (metric_points), with the PostgreSQL store: every process sees every
 * point, and a point is durable when its transaction commits. The same rules as the files
 * (MetricSeriesStore): a missing step is the key's last step + 1, a run's appends apply one after
 * another, the latest value is the last one logged at the largest step, and NaN and the infinities
 * are kept (double precision holds them). Node only.
 */
import type pg from 'pg';
import type { MetricSummary } from '../../../src/shared/contract/types';
import { KeyedLock } from '../../../src/shared/keyedLock';
import { downsample, type MetricInput, type MetricPoint, type MetricSeries } from '../metricSeries';
import { transaction } from './resilientPool';

type SummaryRow = { key: string; count: number; nonfinite: number; min: number | null; max: number | null; last: number; last_step: string; last_ts: string };

const SUMMARIES = `
  SELECT key, count(*)::int AS count,
    count(*) FILTER (WHERE value IN ('NaN', 'Infinity', '-Infinity'))::int AS nonfinite,
    min(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS min,
    max(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS max,
    (array_agg(value ORDER BY step DESC, seq DESC))[1] AS last,
    (array_agg(step ORDER BY step DESC, seq DESC))[1] AS last_step,
    (array_agg(timestamp_ms ORDER BY step DESC, seq DESC))[1] AS last_ts
  FROM metric_points WHERE run_id = $1 AND ($2::text[] IS NULL OR key = ANY($2::text[]))
  GROUP BY key ORDER BY min(seq)`;

const summaryOf = (r: SummaryRow): MetricSummary => ({
  key: r.key,
  last: r.last,
  lastStep: Number(r.last_step),
  lastTimestamp: Number(r.last_ts),
  // As the files keep them: no finite value leaves min at +∞ and max at −∞.
  min: r.min ?? Infinity,
  max: r.max ?? -Infinity,
  count: r.count,
  nonFinite: r.nonfinite,
});

export class PgMetricSeries implements MetricSeries {
  /** A run's appends from this process, in the order they arrived (the advisory lock orders processes). */
  private readonly inOrder = new KeyedLock();

  constructor(private readonly pool: pg.Pool) {}

  append(runId: string, inputs: MetricInput[], now = Date.now()): Promise<{ stored: number; summaries: MetricSummary[] }> {
    return this.inOrder.run(runId, async () => {
      const { steps, timestamps, keys, summaries } = await transaction(this.pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`metrics:${runId}`]);
        const keys = [...new Set(inputs.map((p) => p.key))];
        const last = new Map(
          (await client.query<{ key: string; step: string }>('SELECT key, max(step) AS step FROM metric_points WHERE run_id = $1 AND key = ANY($2::text[]) GROUP BY key', [runId, keys])).rows.map((r) => [r.key, Number(r.step)]),
        );
        const nextStep = new Map<string, number>();
        const steps: number[] = [];
        const timestamps: number[] = [];
        for (const p of inputs) {
          const known = nextStep.get(p.key) ?? (last.has(p.key) ? last.get(p.key)! + 1 : 0);
          const step = p.step ?? known;
          nextStep.set(p.key, Math.max(known, step + 1));
          steps.push(step);
          timestamps.push(p.timestamp ?? now);
        }
        // In arrival order: seq (bigserial) numbers them as unnest hands them over.
        await client.query(
          'INSERT INTO metric_points (run_id, key, step, value, timestamp_ms) SELECT $1, k, s, v, t FROM unnest($2::text[], $3::bigint[], $4::float8[], $5::bigint[]) WITH ORDINALITY AS p(k, s, v, t, i) ORDER BY i',
          [runId, inputs.map((p) => p.key), steps, inputs.map((p) => p.value), timestamps],
        );
        return { steps, timestamps, keys, summaries: (await client.query<SummaryRow>(SUMMARIES, [runId, keys])).rows.map(summaryOf) };
      });
      for (let i = 0; i < inputs.length; i++) {
        inputs[i]!.step = steps[i]!;
        inputs[i]!.timestamp = timestamps[i]!;
      }
      // In the order the keys first appear in the request, as the files answer.
      return { stored: inputs.length, summaries: keys.map((k) => summaries.find((s) => s.key === k)!) };
    });
  }

  async summaries(runId: string): Promise<MetricSummary[]> {
    return (await this.pool.query<SummaryRow>(SUMMARIES, [runId, null])).rows.map(summaryOf);
  }

  async points(runId: string, key: string, maxPoints: number): Promise<MetricPoint[] | null> {
    const { rows } = await this.pool.query<{ step: string; value: number; ts: string }>('SELECT step, value, timestamp_ms AS ts FROM metric_points WHERE run_id = $1 AND key = $2 ORDER BY step, seq', [runId, key]);
    if (rows.length === 0) return null;
    return downsample(rows.map((r) => ({ step: Number(r.step), value: r.value, timestamp: Number(r.ts) })), maxPoints);
  }

  async remove(runId: string): Promise<void> {
    await this.pool.query('DELETE FROM metric_points WHERE run_id = $1', [runId]);
  }

  async close(): Promise<void> {}
}
