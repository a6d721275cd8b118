/** Comparing runs: their evaluations side by side with significance tests, and their shared metric curves. */
import type { MetricSeries } from '../storage';
import { compareRuns, type RunEvaluation } from '../../src/shared/compare';
import type { Run } from '../../src/shared/contract/types';
import { badRequest } from '../../src/shared/errors';
import type { RunService } from './runs';

export async function compare(runs: RunService, series: MetricSeries, ids: string[]) {
  if (ids.length < 2 || ids.length > 10) throw badRequest(`runs: compare between 2 and 10 runs (got ${ids.length})`);
  if (new Set(ids).size !== ids.length) throw badRequest('runs: a run is listed twice');
  const found: Run[] = [];
  for (const id of ids) found.push(await runs.get(id)); // 404 naming the first unknown id
  const evaluations: RunEvaluation[] = await Promise.all(
    found.map(async (run) => {
      const docs = await runs.evaluation(run.id, { predictions: true });
      return { metrics: docs.metrics as RunEvaluation['metrics'], perExample: docs.predictions as RunEvaluation['perExample'], slices: docs.slices as RunEvaluation['slices'] };
    }),
  );
  const result = compareRuns(found, evaluations);
  // Metric curves every run logged, downsampled for overlay.
  const summaries = await Promise.all(found.map((r) => series.summaries(r.id)));
  const shared = summaries[0]!.map((s) => s.key).filter((key) => summaries.every((list) => list.some((s) => s.key === key)));
  const curves = await Promise.all(
    shared.map(async (key) => ({
      key,
      runs: Object.fromEntries(await Promise.all(found.map(async (r) => [r.id, (await series.points(r.id, key, 200)) ?? []] as const))),
    })),
  );
  return { runs: found, result, series: curves };
}
