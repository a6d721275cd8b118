/**
 * Comparing 2–10 runs against the first (the baseline): metric differences with confidence
 * intervals and p-values (paired when the runs were evaluated on the same examples), Holm–Bonferroni
 * across the metrics of each comparison, config diff, slices, shared metric curves.
 * Pure: the caller hands in what it loaded (runs, evaluation documents, series).
 */
import { Evaluator, inputFromPerExample, type PerExample } from '../evalHarness';
import { bootstrapDifferences, holmAdjust, mcnemarExactP, type MetricSource } from './statistics';
import type { CompareDifference, CompareResponse, MetricWithCi, Run } from '../contract/types';
import { finiteMetric, metricNumber } from '../contract/registry';

export const ALPHA = 0.05;
const RESAMPLES = 1000;
const SLICE_RESAMPLES = 500;
const SEED = 20_240_601;

export interface RunEvaluation {
  metrics: { taskType: 'classification' | 'regression'; n: number; metrics: Record<string, MetricWithCi> } | null;
  perExample: (PerExample & { taskType: 'classification' | 'regression' }) | null;
  slices: { slices: { attribute: string; value: string; count: number; metrics: Record<string, MetricWithCi> }[] } | null;
}

// One definition of the response shapes, shared with the client (types.ts).
export type MetricDifference = CompareDifference;
export type ComparedMetric = CompareResponse['metrics'][number];
export type ConfigDiffEntry = CompareResponse['configDiff'][number];
export type CompareResult = Omit<CompareResponse, 'runs' | 'series'>;

/** Objects flattened to dotted paths; arrays and scalars are leaves. */
export function flatten(value: Record<string, unknown>, prefix: string, out: Map<string, unknown> = new Map()): Map<string, unknown> {
  for (const [key, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) flatten(v as Record<string, unknown>, path, out);
    else out.set(path, v);
  }
  return out;
}

export function configDiff(runs: Run[]): ConfigDiffEntry[] {
  const flat = runs.map((r) => new Map([...flatten(r.hyperparameters, 'params'), ...flatten(r.config, 'config')]));
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  return paths.map((path) => {
    const values = Object.fromEntries(runs.map((r, i) => [r.id, flat[i]!.has(path) ? flat[i]!.get(path) : undefined]));
    const present = flat.map((f) => f.has(path));
    let status: ConfigDiffEntry['status'];
    if (!present[0]) status = 'added';
    else if (present.some((p) => !p)) status = 'removed';
    else {
      const texts = flat.map((f) => JSON.stringify(f.get(path)));
      const distinct = new Set(texts).size;
      status = distinct === 1 ? 'same' : runs.length > 2 && distinct < runs.length ? 'mixed' : 'changed';
    }
    return { path, status, values };
  });
}

const sameExamples = (a: PerExample, b: PerExample) => a.labels.length === b.labels.length && a.labels.every((v, i) => v === b.labels[i]);

export function compareRuns(runs: Run[], evaluations: RunEvaluation[]): CompareResult {
  const baseline = runs[0]!;
  const base = evaluations[0]!;
  const evaluators = evaluations.map((e) => (e.perExample ? new Evaluator(inputFromPerExample(e.perExample.taskType, e.perExample)) : null));

  // Metrics every run's evaluation has, then logged summaries the evaluations do not cover.
  const evaluated = evaluations.every((e) => e.metrics);
  const evalKeys = evaluated ? Object.keys(base.metrics!.metrics).filter((k) => evaluations.every((e) => e.metrics!.metrics[k]?.value !== null && e.metrics!.metrics[k] !== undefined)) : [];
  const loggedKeys = Object.keys(baseline.metrics).filter((k) => !evalKeys.includes(k) && runs.every((r) => k in r.metrics));

  const metrics: ComparedMetric[] = [
    ...evalKeys.map((name) => ({
      name,
      source: 'evaluation' as const,
      values: Object.fromEntries(runs.map((r, i) => [r.id, { value: evaluations[i]!.metrics!.metrics[name]!.value, ci: evaluations[i]!.metrics!.metrics[name]!.ci }])),
      differences: [] as MetricDifference[],
    })),
    ...loggedKeys.map((name) => ({
      name,
      source: 'logged' as const,
      values: Object.fromEntries(runs.map((r) => [r.id, { value: finiteMetric(r.metrics[name]), ci: null }])),
      differences: runs.slice(1).map(
        (r): MetricDifference => ({
          runId: r.id,
          baselineRunId: baseline.id,
          diff: metricNumber(r.metrics[name]) - metricNumber(baseline.metrics[name]),
          ci: null,
          pValue: null,
          adjustedPValue: null,
          significant: null,
          method: 'none',
          reason: 'a logged summary value has no per-example data, so no test is possible; evaluate both runs for one',
        }),
      ),
    })),
  ];

  // One comparison per run against the baseline: bootstrap every evaluated metric, Holm across them.
  runs.slice(1).forEach((run, j) => {
    const i = j + 1;
    const a = evaluators[0];
    const b = evaluators[i];
    const evalMetrics = metrics.filter((m) => m.source === 'evaluation');
    if (!a || !b || evalMetrics.length === 0) {
      for (const m of evalMetrics) {
        m.differences.push({ runId: run.id, baselineRunId: baseline.id, diff: (m.values[run.id]!.value ?? NaN) - (m.values[baseline.id]!.value ?? NaN), ci: null, pValue: null, adjustedPValue: null, significant: null, method: 'none', reason: 'per-example predictions are missing; evaluate both runs again' });
      }
      return;
    }
    const paired = sameExamples(base.perExample!, evaluations[i]!.perExample!);
    const diffs = bootstrapDifferences(a, b, { paired, resamples: RESAMPLES, seed: SEED, level: 0.95 });
    const rows = evalMetrics.map((m) => {
      const d = diffs.get(m.name);
      let pValue = d?.pValue ?? null;
      let method: MetricDifference['method'] = paired ? 'paired-bootstrap' : 'unpaired-bootstrap';
      if (paired && m.name === 'accuracy' && base.perExample!.classes) {
        // McNemar on the discordant examples: right in one run, wrong in the other.
        let onlyRun = 0;
        let onlyBaseline = 0;
        const pa = base.perExample!;
        const pb = evaluations[i]!.perExample!;
        for (let k = 0; k < pa.labels.length; k++) {
          const okA = pa.predictions[k] === pa.labels[k];
          const okB = pb.predictions[k] === pb.labels[k];
          if (okB && !okA) onlyRun++;
          else if (okA && !okB) onlyBaseline++;
        }
        pValue = mcnemarExactP(onlyRun, onlyBaseline);
        method = 'mcnemar-exact';
      }
      return { m, d, pValue, method };
    });
    const adjusted = holmAdjust(rows.map((r) => r.pValue));
    rows.forEach(({ m, d, pValue, method }, k) => {
      m.differences.push({
        runId: run.id,
        baselineRunId: baseline.id,
        diff: d?.diff ?? null,
        ci: d?.ci ?? null,
        pValue,
        adjustedPValue: adjusted[k] ?? null,
        significant: adjusted[k] === null || adjusted[k] === undefined ? null : adjusted[k]! < ALPHA,
        method,
      });
    });
  });

  return { baselineRunId: baseline.id, alpha: ALPHA, correction: 'holm-bonferroni', metrics, configDiff: configDiff(runs), slices: compareSlices(runs, evaluations, evaluators) };
}

/** Per slice in the baseline: each run's headline value with its CI, and its difference from the baseline on that slice. */
function compareSlices(runs: Run[], evaluations: RunEvaluation[], evaluators: (Evaluator | null)[]): CompareResult['slices'] {
  const base = evaluations[0]!;
  if (!base.slices || !base.perExample || !evaluators[0]) return [];
  const out: CompareResult['slices'] = [];
  const differencesByRun = new Map<string, MetricDifference[]>();
  for (const slice of base.slices.slices) {
    const metric = Object.keys(slice.metrics)[0];
    if (!metric) continue;
    const values: Record<string, { value: number | null; ci: MetricWithCi['ci'] | null; count: number }> = {};
    const differences: MetricDifference[] = [];
    runs.forEach((run, i) => {
      const s = evaluations[i]!.slices?.slices.find((x) => x.attribute === slice.attribute && x.value === slice.value);
      values[run.id] = { value: s?.metrics[metric]?.value ?? null, ci: s?.metrics[metric]?.ci ?? null, count: s?.count ?? 0 };
      if (i === 0) return;
      const membersA = base.perExample!.slices.find((x) => x.attribute === slice.attribute && x.value === slice.value)?.members;
      const membersB = evaluations[i]!.perExample?.slices.find((x) => x.attribute === slice.attribute && x.value === slice.value)?.members;
      const a = evaluators[0]!;
      const b = evaluators[i];
      if (!membersA || !membersB || !b) {
        differences.push({ runId: run.id, baselineRunId: runs[0]!.id, diff: null, ci: null, pValue: null, adjustedPValue: null, significant: null, method: 'none', reason: 'the slice is missing from this run' });
        return;
      }
      const paired = sameExamples(base.perExample!, evaluations[i]!.perExample!) && membersA.length === membersB.length && membersA.every((v, k) => v === membersB[k]);
      const d = bootstrapDifferences(new SliceEvaluator(a, membersA), new SliceEvaluator(b, membersB), { paired, resamples: SLICE_RESAMPLES, seed: SEED, level: 0.95 }).get(metric);
      const diff: MetricDifference = {
        runId: run.id,
        baselineRunId: runs[0]!.id,
        diff: d?.diff ?? null,
        ci: d?.ci ?? null,
        pValue: d?.pValue ?? null,
        adjustedPValue: null,
        significant: null,
        method: paired ? 'paired-bootstrap' : 'unpaired-bootstrap',
      };
      differences.push(diff);
      differencesByRun.set(run.id, [...(differencesByRun.get(run.id) ?? []), diff]);
    });
    out.push({ attribute: slice.attribute, value: slice.value, metric, values, differences });
  }
  // Holm across the slices of each run's comparison.
  for (const diffs of differencesByRun.values()) {
    const adjusted = holmAdjust(diffs.map((d) => d.pValue));
    diffs.forEach((d, k) => {
      d.adjustedPValue = adjusted[k] ?? null;
      d.significant = d.adjustedPValue === null ? null : d.adjustedPValue < ALPHA;
    });
  }
  return out;
}

/** An Evaluator restricted to some examples: weights outside the slice are zero. */
class SliceEvaluator implements MetricSource {
  constructor(
    private readonly inner: Evaluator,
    private readonly members: number[],
  ) {}

  get n(): number {
    return this.members.length;
  }

  metrics(weights?: Float64Array): Record<string, number | null> {
    const full = new Float64Array(this.inner.n);
    this.members.forEach((index, k) => (full[index] = weights ? weights[k]! : 1));
    return this.inner.metrics(full);
  }
}
