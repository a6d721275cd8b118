/**
 * Runs as groups (issue 19): runs that differ only in their seed — or that share the values of
 * chosen columns — pooled, with each metric's mean over the group and a bootstrap confidence
 * interval of that mean; and two groups compared across their seeds (an unpaired bootstrap of the
 * difference of means, as Compare does for unpaired runs). Pure: the server computes, the UI shows.
 */
import type { Run } from '../contract/types';
import { GROUP_BOOTSTRAP_RESAMPLES } from '../contract/constants';
import { interval, resampleWeights, rng } from '../evalHarness';
import { bootstrapDifferences } from '../compare/statistics';
import { flatten } from '../compare';
import { cellOf, type RunColumn } from './columns';

/** Hyperparameter and config names that hold a seed: left out of a seed-free group's key. */
export const SEED_KEYS = /^(seed|random_seed|random_state|rng_seed|seed_value)$/i;
/** Below this many runs a group's comparison says its numbers are shaky. */
export const FEW_SEEDS = 3;

export interface GroupOptions {
  resamples: number;
  level: number;
  seed: number;
}
export const DEFAULT_GROUP_OPTIONS: GroupOptions = { resamples: GROUP_BOOTSTRAP_RESAMPLES, level: 0.95, seed: 20_240_101 };

export interface MeanWithCi {
  mean: number;
  ci: { lower: number | null; upper: number | null; level: number };
  n: number;
}

export interface RunGroup {
  /** What the runs share, as text: `lr=0.01, optimizer.name=adam` (empty: every value is a seed). */
  key: string;
  /** The shared values by name. */
  values: Record<string, unknown>;
  n: number;
  runIds: string[];
  metrics: Record<string, MeanWithCi>;
}

/** The value with its seed-like keys removed, at any depth. */
function withoutSeeds(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) if (!SEED_KEYS.test(key)) out[key] = withoutSeeds((value as Record<string, unknown>)[key]);
  return out;
}

/** A run's group: everything but its seeds (params and config), or the chosen columns' values. */
export function groupOf(run: Run, by: 'seed-free' | readonly RunColumn[]): { key: string; values: Record<string, unknown> } {
  const values =
    by === 'seed-free'
      ? Object.fromEntries([...flatten(withoutSeeds(run.hyperparameters) as Record<string, unknown>, 'params'), ...flatten(withoutSeeds(run.config) as Record<string, unknown>, 'config')])
      : Object.fromEntries(by.map((c) => [c.text, cellOf(run, c)]));
  const key = Object.entries(values)
    .map(([k, v]) => `${k.replace(/^params\./, '')}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return { key, values };
}

/** The mean of the values and a percentile bootstrap interval of it (none for a single value). */
export function meanWithCi(values: readonly number[], options: GroupOptions = DEFAULT_GROUP_OPTIONS): MeanWithCi {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { mean, ci: { lower: null, upper: null, level: options.level }, n };
  const random = rng(options.seed);
  const weights = new Float64Array(n);
  const means = new Float64Array(options.resamples);
  for (let r = 0; r < options.resamples; r++) {
    resampleWeights(n, random, weights);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i]! * values[i]!;
    means[r] = sum / n;
  }
  return { mean, ci: interval(means, options.resamples, options.level), n };
}

/** The finite latest values of each metric over some runs. */
function metricValues(runs: readonly Run[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const run of runs) {
    for (const [key, value] of Object.entries(run.metrics)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const values = out.get(key);
      if (values) values.push(value);
      else out.set(key, [value]);
    }
  }
  return out;
}

/** Groups of the runs, the largest first (then by key). */
export function groupRuns(runs: readonly Run[], by: 'seed-free' | readonly RunColumn[], options: GroupOptions = DEFAULT_GROUP_OPTIONS): RunGroup[] {
  const groups = new Map<string, { values: Record<string, unknown>; runs: Run[] }>();
  for (const run of runs) {
    const { key, values } = groupOf(run, by);
    const group = groups.get(key) ?? { values, runs: [] };
    group.runs.push(run);
    groups.set(key, group);
  }
  return [...groups.entries()]
    .map(([key, g]) => ({
      key,
      values: g.values,
      n: g.runs.length,
      runIds: g.runs.map((r) => r.id),
      metrics: Object.fromEntries([...metricValues(g.runs)].map(([name, values]) => [name, meanWithCi(values, options)])),
    }))
    .sort((a, b) => b.n - a.n || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface GroupDifference {
  metric: string;
  a: MeanWithCi;
  b: MeanWithCi;
  /** mean(b) − mean(a), with the unpaired bootstrap's interval and two-sided p-value. */
  diff: number;
  ci: { lower: number | null; upper: number | null; level: number };
  pValue: number | null;
}

/**
 * Whether configuration b beats configuration a across seeds: for each metric both groups have, the
 * difference of the means, resampling each group's runs on its own (unpaired bootstrap).
 */
export function compareGroups(a: readonly Run[], b: readonly Run[], options: GroupOptions = DEFAULT_GROUP_OPTIONS): { differences: GroupDifference[]; warning: string | null } {
  const va = metricValues(a);
  const vb = metricValues(b);
  const shared = [...va.keys()].filter((k) => vb.has(k)).sort();
  const differences: GroupDifference[] = [];
  for (const metric of shared) {
    const xs = va.get(metric)!;
    const ys = vb.get(metric)!;
    const source = (values: number[]) => ({
      n: values.length,
      metrics: (w?: Float64Array) => ({ mean: w ? values.reduce((s, v, i) => s + w[i]! * v, 0) / values.length : values.reduce((s, v) => s + v, 0) / values.length }),
    });
    const d = bootstrapDifferences(source(xs), source(ys), { paired: false, resamples: options.resamples, seed: options.seed, level: options.level }).get('mean')!;
    differences.push({ metric, a: meanWithCi(xs, options), b: meanWithCi(ys, options), diff: d.diff!, ci: d.ci, pValue: d.pValue });
  }
  const fewest = Math.min(a.length, b.length);
  return { differences, warning: fewest < FEW_SEEDS ? `A group has ${fewest} run(s): with fewer than ${FEW_SEEDS} seeds the interval and the p-value say little.` : null };
}
