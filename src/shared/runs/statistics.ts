/** Dashboard aggregates over runs. Pure (a database store would compute the same with SQL). */
import { RUN_STATUSES } from '../contract/constants';
import type { Run, RunStatistics, RunStatus } from '../contract/types';
import { finiteMetric } from '../contract/registry';

/** Metric names where smaller is better. */
const LOWER_IS_BETTER = /(loss|error|err$|mae|mse|rmse|mape|latency|perplexity|wer|cer)/i;

export function metricDirection(key: string): 'max' | 'min' {
  return LOWER_IS_BETTER.test(key) ? 'min' : 'max';
}

export function runStatistics(runs: Iterable<Run>, days = 30, now = new Date(), headlineMetrics = 4): RunStatistics {
  const byStatus = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  const perDay = new Map<string, number>();
  for (let d = 0; d < days; d++) perDay.set(new Date(start.getTime() + d * 86_400_000).toISOString().slice(0, 10), 0);
  const metricRuns = new Map<string, number>();
  const best = new Map<string, { run: Run; value: number }>();
  let total = 0;
  for (const run of runs) {
    total++;
    byStatus[run.status]++;
    const day = run.createdAt.slice(0, 10);
    if (perDay.has(day)) perDay.set(day, perDay.get(day)! + 1);
    for (const [key, stored] of Object.entries(run.metrics)) {
      const value = finiteMetric(stored);
      if (value === null) continue; // NaN or infinite: never the best
      metricRuns.set(key, (metricRuns.get(key) ?? 0) + 1);
      const current = best.get(key);
      const better = metricDirection(key) === 'max' ? value > (current?.value ?? -Infinity) : value < (current?.value ?? Infinity);
      if (better) best.set(key, { run, value });
    }
  }
  const headline = [...metricRuns.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, headlineMetrics);
  return {
    total,
    byStatus,
    createdPerDay: [...perDay.entries()].map(([date, count]) => ({ date, count })),
    bestByMetric: headline.map(([key, runsWithKey]) => {
      const b = best.get(key)!;
      return { key, direction: metricDirection(key), value: b.value, runId: b.run.id, runName: b.run.name, runsWithKey };
    }),
  };
}
