/** The run every runs benchmark creates: 20 hyperparameters (a nested optimizer), 10 metrics, 2 tags; shared so their figures compare. */
export function runBody(i: number): string {
  const hyperparameters: Record<string, unknown> = {};
  for (let h = 0; h < 20; h++) hyperparameters[`hp_${h}`] = h % 3 === 0 ? `value-${(i + h) % 17}` : ((i * (h + 1)) % 1000) / 1000;
  hyperparameters.optimizer = { name: ['sgd', 'adam', 'adamw'][i % 3], momentum: 0.9 };
  const metrics: Record<string, number> = {};
  for (let m = 0; m < 10; m++) metrics[`metric_${m}`] = ((i * 7919 + m * 104729) % 10_000) / 10_000;
  return JSON.stringify({ name: `sweep-${i}`, status: i % 5 === 0 ? 'failed' : 'completed', hyperparameters, metrics, tags: { sweep: 'bench', shard: String(i % 8) } });
}

/** The filtered, sorted page both runs benchmarks measure. */
export const SEARCH_FILTER = "status = 'completed' AND params.optimizer.name IN ('adam', 'adamw') AND metrics.metric_3 > 0.25";
export const SEARCH_PATH = `/api/modellab/runs?limit=50&filter=${encodeURIComponent(SEARCH_FILTER)}&sort=metrics.metric_0:desc`;
/** The same page as the Runs page asks for it: without the count of every match (asked for once, on its own). */
export const PAGE_PATH = `${SEARCH_PATH}&count=false`;
/** The count the Runs page asks for once per query. */
export const COUNT_PATH = `/api/modellab/runs?limit=0&filter=${encodeURIComponent(SEARCH_FILTER)}`;
