/** Types shared by the client and the server. Request types are inferred from the zod schemas. */
import type { z } from 'zod';
import type { RUN_STATUSES } from './constants';
import type { LatencyResult } from '../latencyStats';
import type { CreateRunBody, ListRunsQuery, ProfileBody, UpdateRunBody } from './schemas';
import type { MetricValue } from './registry';

export type { MetricValue };

export type RunStatus = (typeof RUN_STATUSES)[number];

export type CreateRunInput = z.input<typeof CreateRunBody>;
export type CreateRunData = z.output<typeof CreateRunBody>;
export type UpdateRunInput = z.input<typeof UpdateRunBody>;
export type UpdateRunData = z.output<typeof UpdateRunBody>;
export type ListRunsParams = Partial<z.input<typeof ListRunsQuery>>;
export type ProfileInput = z.input<typeof ProfileBody>;

/** A run's stored latency profile (evaluations/latency.json). */
export type StoredLatency = LatencyResult & { measuredAt: string };

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  /** Requests per second; null when the samples were measured by the client. */
  throughput: number | null;
  measuredAt: string;
}

export type LifecycleStage = 'active' | 'deleted';

/** A group of runs (MLflow's experiment). "0" is the Default experiment, present from the start. */
export interface Experiment {
  id: string;
  name: string;
  /** Where MLflow clients are told the experiment's artifacts live. */
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  tags: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** Who created it (users mode); absent for experiments made without users. */
  createdBy?: string | null;
}

/** What creating an experiment takes. */
export interface ExperimentInput {
  name: string;
  artifactLocation?: string | null;
  tags?: Record<string, string>;
  createdBy?: string | null;
}

/** A new experiment record (both stores number it their own way). */
export const newExperiment = (id: string, input: ExperimentInput, at: string): Experiment => ({
  id,
  name: input.name,
  artifactLocation: input.artifactLocation || `mlflow-artifacts:/${id}`,
  lifecycleStage: 'active',
  tags: input.tags ?? {},
  createdAt: at,
  updatedAt: at,
  ...(input.createdBy && { createdBy: input.createdBy }),
});

/** An experiment as ModelLab's API presents it: with the number of its (not deleted) runs. */
export interface ExperimentSummary extends Experiment {
  runCount: number;
}

/** A dataset a run used, as MLflow's log-inputs reports it; linked to a ModelLab version when the digest matches its checksum. */
export interface RunDatasetInput {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
  tags: Record<string, string>;
  datasetId: string | null;
}

export interface MetricExtreme {
  min: number | null;
  max: number | null;
}

export interface Run {
  id: string;
  /** The experiment the run belongs to ("0": Default). */
  experimentId: string;
  /** "deleted" runs (soft-deleted through the MLflow API) are left out of lists until restored. */
  lifecycleStage: LifecycleStage;
  name: string;
  description: string;
  status: RunStatus;
  datasetId: string | null;
  hyperparameters: Record<string, unknown>;
  config: Record<string, unknown>;
  seed: number;
  gitCommit: string | null;
  gitBranch: string | null;
  gitDirty: boolean | null;
  tags: Record<string, string>;
  notes: string;
  /** Latest value of each metric; NaN and the infinities (logged through MLflow) as "NaN", "Infinity", "-Infinity". */
  metrics: Record<string, MetricValue>;
  /**
   * Each logged metric's least and greatest finite value over all its points (null: none finite),
   * kept with run.metrics as points arrive: what the runs table's `metrics.<key>.min|max` columns
   * show, filter and sort by. A value set on the run without logging a point has none.
   */
  metricExtremes: Record<string, MetricExtreme>;
  latency: LatencySummary | null;
  inputs: RunDatasetInput[];
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  updatedAt: string;
}

export type ColumnType = 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'string';

export interface ColumnSchema {
  name: string;
  type: ColumnType;
  nullable: boolean;
  [stat: string]: unknown;
}

export interface Dataset {
  id: string;
  name: string;
  version: number;
  checksum: string;
  sizeBytes: number;
  format: 'csv' | 'tsv' | 'json' | 'jsonl';
  originalFilename: string;
  rowCount: number;
  columnCount: number;
  schema: { columns: ColumnSchema[] };
  parentId: string | null;
  schemaChanges: {
    added: string[];
    removed: string[];
    typeChanged: { name: string; from: ColumnType; to: ColumnType }[];
  } | null;
  description: string;
  tags: string[];
  createdAt: string;
  warnings: string[];
  /** Who uploaded this version (users mode). */
  createdBy?: string | null;
}

export interface ListResponse<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** GET /runs: `total` is null when the request asked count=false; `more` says whether runs follow the page. */
export interface RunListResponse extends Omit<ListResponse<Run>, 'total'> {
  total: number | null;
  more: boolean;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface Health {
  status: 'ok';
  version: string;
  /** Where the records live: db.json (json) or PostgreSQL (postgres). */
  store: 'json' | 'postgres';
  /** Where artifacts and dataset files live: the data folder, or an S3-compatible bucket. */
  artifacts: 'folder' | 's3';
}

export interface RunStatistics {
  total: number;
  byStatus: Record<RunStatus, number>;
  /** Runs created per UTC day over the last 30 days, oldest first. */
  createdPerDay: { date: string; count: number }[];
  /** For the metric keys most runs have: the best run (max, or min for loss-like names). */
  bestByMetric: { key: string; direction: 'max' | 'min'; value: number; runId: string; runName: string; runsWithKey: number }[];
}

export interface Stats {
  datasets: number;
  runs: RunStatistics;
  recentRuns: Run[];
}

export interface MetricSummary {
  key: string;
  last: number;
  lastStep: number;
  /** When the latest value was logged (ms since the epoch). */
  lastTimestamp: number;
  /** Over the finite values (Infinity and -Infinity when there are none). */
  min: number;
  max: number;
  count: number;
  /** How many of the points are NaN or infinite. */
  nonFinite: number;
}

/** A metric summary as the API sends it: non-finite values spelled as strings, min/max null without finite points. */
export interface MetricSummaryView extends Omit<MetricSummary, 'last' | 'min' | 'max'> {
  last: MetricValue;
  min: number | null;
  max: number | null;
}

export interface MetricSeriesResponse {
  key: string;
  /** Non-finite values as "NaN", "Infinity", "-Infinity" (charts leave them out). */
  points: { step: number; value: MetricValue; timestamp: number }[];
}

export type ExpectedSchemaInput = z.input<typeof import('./schemas').ExpectedSchema>;
export type UpdateDatasetInput = z.input<typeof import('./schemas').UpdateDatasetBody>;

export interface DatasetUploadResult extends Dataset {
  deduplicated: boolean;
}

export interface SchemaViolationInfo {
  row: number | null;
  column: string;
  value: string | null;
  expected: string;
  problem: 'missing_column' | 'wrong_type' | 'null_value';
}

export interface DatasetValidation {
  valid: boolean;
  rowCount: number;
  violationCount: number;
  violations: SchemaViolationInfo[];
  schemaChanges: NonNullable<Dataset['schemaChanges']>;
}

export interface DatasetPreview {
  columns: { name: string; type: ColumnType }[];
  rows: Record<string, unknown>[];
}

export interface Artifact {
  runId: string;
  /** "<category>/<path inside the category>" */
  path: string;
  category: 'checkpoints' | 'plots' | 'evaluations' | 'reports' | 'other';
  size: number;
  sha256: string;
  contentType: string;
  createdAt: string;
}

export interface MetricWithCi {
  value: number | null;
  ci: { lower: number | null; upper: number | null; level: number };
}

export interface EvaluationResponse {
  metrics: {
    runId: string;
    taskType: 'classification' | 'regression';
    n: number;
    createdAt: string;
    metrics: Record<string, MetricWithCi>;
    perClass: { class: string | number; precision: number; recall: number; f1: number; support: number }[] | null;
    confusionMatrix: { labels: (string | number)[]; matrix: number[][] } | null;
    bootstrap: { resamples: number; level: number; seed: number; method: string; weights?: string };
  };
  slices: {
    runId: string;
    slices: {
      attribute: string;
      value: string;
      count: number;
      metrics: Record<string, MetricWithCi>;
      deltaFromOverall: Record<string, { diff: number | null; ci: { lower: number | null; upper: number | null; level: number } }>;
      significantlyWorse: boolean;
      small: boolean;
    }[];
  };
  failureExamples: { runId: string; total: number; examples: Record<string, unknown>[] };
}

export interface CompareDifference {
  runId: string;
  baselineRunId: string;
  diff: number | null;
  ci: { lower: number | null; upper: number | null; level: number } | null;
  pValue: number | null;
  adjustedPValue: number | null;
  significant: boolean | null;
  method: 'paired-bootstrap' | 'mcnemar-exact' | 'unpaired-bootstrap' | 'none';
  reason?: string;
}

export interface CompareResponse {
  runs: Run[];
  baselineRunId: string;
  alpha: number;
  correction: string;
  metrics: { name: string; source: 'evaluation' | 'logged'; values: Record<string, { value: number | null; ci: MetricWithCi['ci'] | null }>; differences: CompareDifference[] }[];
  configDiff: { path: string; status: 'same' | 'changed' | 'added' | 'removed' | 'mixed'; values: Record<string, unknown> }[];
  slices: { attribute: string; value: string; metric: string; values: Record<string, { value: number | null; ci: MetricWithCi['ci'] | null; count: number }>; differences: CompareDifference[] }[];
  series: { key: string; runs: Record<string, { step: number; value: number; timestamp: number }[]> }[];
}
