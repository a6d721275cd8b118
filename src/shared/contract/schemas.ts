/**
 * zod schemas for every request body and query the API accepts. The API validates with them at the edge;
 * types.ts infers the client's request types from them, so the two sides cannot drift. Browser-safe.
 */
import { z } from 'zod';
import {
  DEFAULT_EXPERIMENT_ID,
  HYPERPARAM_VALUE_MAX_BYTES,
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  RUN_NAME_MAX,
  RUN_STATUSES,
} from './constants';
import { nestingProblem } from '../jsonDepth';

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

export const RunStatusSchema = z.enum(RUN_STATUSES);

const finiteNumber = z.number().refine(Number.isFinite, 'must be a finite number');

/** Free-form JSON objects (hyperparameters, config): each value at most 64 KB of JSON text. */
const paramObject = z.record(z.string().min(1).max(250), z.unknown()).superRefine((obj, ctx) => {
  // Measured before anything recursive (stringifying below, cloning in the store) touches it.
  const deep = nestingProblem(obj);
  if (deep) {
    ctx.addIssue({ code: 'custom', path: deep.path.slice(0, 1), message: deep.message });
    return;
  }
  for (const [key, value] of Object.entries(obj)) {
    // Numbers, booleans, null and short strings are well within the limit without measuring (a
    // string's JSON is at most 6 bytes per UTF-16 unit, for \uXXXX escapes): encoding every value
    // of every create was a tenth of its validation (measured).
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) continue;
    if (typeof value === 'string' && value.length * 6 + 2 <= HYPERPARAM_VALUE_MAX_BYTES) continue;
    const text = JSON.stringify(value);
    if (text === undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'must be a JSON value' });
    } else if (text.length * 3 > HYPERPARAM_VALUE_MAX_BYTES && utf8Length(text) > HYPERPARAM_VALUE_MAX_BYTES) {
      ctx.addIssue({ code: 'custom', path: [key], message: `must be at most ${HYPERPARAM_VALUE_MAX_BYTES} bytes of JSON` });
    }
  }
});

const tagKey = z.string().min(1).max(250);
const tagValue = z.string().max(5000);

const runName = z.string().trim().min(1, 'must not be empty').max(RUN_NAME_MAX);

export const CreateRunBody = z.strictObject({
  name: runName,
  experimentId: z.string().regex(/^\d{1,18}$/, 'must be an experiment id (digits)').default(DEFAULT_EXPERIMENT_ID),
  description: z.string().max(10_000).default(''),
  status: RunStatusSchema.default('pending'),
  datasetId: z.string().min(1).max(64).nullable().default(null),
  hyperparameters: paramObject.default({}),
  config: paramObject.default({}),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  gitCommit: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be a hex commit hash').optional(),
  gitBranch: z.string().max(256).nullable().optional(),
  gitDirty: z.boolean().nullable().optional(),
  tags: z.record(tagKey, tagValue).default({}),
  notes: z.string().max(100_000).default(''),
  metrics: z.record(z.string().min(1).max(250), finiteNumber).default({}),
});

export const UpdateRunBody = z
  .strictObject({
    name: runName,
    description: z.string().max(10_000),
    status: RunStatusSchema,
    /** Merged into the run's tags; a null value removes that tag. */
    tags: z.record(tagKey, tagValue.nullable()),
    notes: z.string().max(100_000),
    /** Merged into the run's latest metric values. */
    metrics: z.record(z.string().min(1).max(250), finiteNumber),
    /** Replace the stored objects whole. */
    hyperparameters: paramObject,
    config: paramObject,
  })
  .partial();

const intFromQuery = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const ListQuery = z.object({
  limit: intFromQuery(1, LIST_MAX_LIMIT, LIST_DEFAULT_LIMIT),
  offset: intFromQuery(0, Number.MAX_SAFE_INTEGER, 0),
});

const experimentId = z.string().regex(/^\d{1,18}$/, 'must be an experiment id (digits)');

/** Which runs a query selects: every run search's parameters (the list, the export, groups, importance). */
const RUN_SELECTION = {
  status: RunStatusSchema.optional(),
  experimentId: experimentId.optional(),
  /** The filter language (src/shared/runs/filter.ts); parsed by the route so errors carry their position. */
  filter: z.string().max(10_000).optional(),
};
/** field:asc|desc */
const runSort = z.string().max(500).optional();

export const ListRunsQuery = ListQuery.extend({
  /** 0: the count alone. */
  limit: intFromQuery(0, LIST_MAX_LIMIT, LIST_DEFAULT_LIMIT),
  ...RUN_SELECTION,
  sort: runSort,
  /** false: the page without the count of every match (total: null) — the page alone is fast on any store. */
  count: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v !== 'false'),
});

export const IdParams = z.object({ id: z.string().min(1).max(128) });

// ---- experiments

export const ListExperimentsQuery = ListQuery.extend({ lifecycle: z.enum(['active', 'deleted', 'all']).default('active') });
export const CreateExperimentBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(500),
  tags: z.record(z.string().min(1).max(250), z.string().max(5000)).default({}),
});
export const UpdateExperimentBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(500),
  tags: z.record(z.string().min(1).max(250), z.string().max(5000)),
}).partial();

/**
 * A saved view of the runs table (issue 19): its query string (filter, sort, status, columns) under a
 * name, kept per experiment as the experiment's tag `modellab.view.<name>` — so MLflow clients see
 * and copy them too.
 */
export const VIEW_TAG_PREFIX = 'modellab.view.';
export const ViewParams = z.object({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(100).regex(/^[\w .-]+$/, 'a view name is letters, digits, spaces and . _ -'),
});
export const SaveViewBody = z.strictObject({ query: z.string().max(4000) });

// ---- datasets

export const ColumnTypeSchema = z.enum(['integer', 'number', 'boolean', 'date', 'datetime', 'string']);

export const ExpectedSchema = z.strictObject({
  columns: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(1000),
        type: ColumnTypeSchema,
        nullable: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(10_000),
});

const tagList = z.array(z.string().trim().min(1).max(100)).max(100);

/** Multipart form fields arrive as strings; tags may be a JSON array or a comma list. */
export const DatasetUploadFields = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(256).optional(),
  description: z.string().max(10_000).default(''),
  tags: z
    .string()
    .max(20_000)
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return [];
      if (text.trim().startsWith('[')) {
        try {
          const parsed = tagList.safeParse(JSON.parse(text));
          if (parsed.success) return parsed.data;
        } catch {
          /* reported below */
        }
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of strings or a comma-separated list' });
        return z.NEVER;
      }
      return text.split(',').map((t) => t.trim()).filter(Boolean);
    }),
  expectedSchema: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return null;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON: {"columns": [{"name", "type", "nullable"?}]}' });
        return z.NEVER;
      }
      const deep = nestingProblem(json);
      if (deep) {
        ctx.addIssue({ code: 'custom', message: deep.message });
        return z.NEVER;
      }
      const parsed = ExpectedSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || '(root)'}: ${issue.message}` });
        return z.NEVER;
      }
      return parsed.data;
    }),
});

export const ListDatasetsQuery = ListQuery.extend({
  name: z.string().min(1).max(256).optional(),
  latest: z.enum(['true', 'false']).optional().transform((v) => v === 'true'),
});

export const PreviewQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

const IMMUTABLE_DATASET_FIELDS = ['id', 'name', 'version', 'checksum', 'sizeBytes', 'format', 'originalFilename', 'rowCount', 'columnCount', 'schema', 'parentId', 'schemaChanges', 'createdAt', 'warnings', 'file', 'content'];

export const UpdateDatasetBody = z
  .record(z.string(), z.unknown())
  .superRefine((body, ctx) => {
    const immutable = Object.keys(body).filter((k) => IMMUTABLE_DATASET_FIELDS.includes(k));
    if (immutable.length) {
      ctx.addIssue({ code: 'custom', path: [immutable[0]!], message: 'a dataset version is immutable: only description and tags can change; upload a new version instead' });
    }
  })
  .pipe(
    z.strictObject({
      description: z.string().max(10_000).optional(),
      tags: tagList.optional(),
    }),
  );

// ---- metric series

export const MAX_METRIC_POINTS_PER_REQUEST = 10_000;

/**
 * A schema with a hand-written check for the common, valid case: a value the check accepts is used
 * as it is; anything else goes through the schema, which gives the error (handle() does this). zod's
 * parse builds a copy of every element: for a batch of 1,000 metric points that was about a third of
 * the request's server time (measured). The check must accept nothing the schema refuses, and what
 * it accepts must be what the schema would output (tests compare them on generated bodies).
 */
export const FAST_CHECK = Symbol('fastCheck');
export type FastChecked = { [FAST_CHECK]?: (value: unknown) => boolean };

function withFastCheck<S extends z.ZodType>(schema: S, accepts: (value: unknown) => boolean): S {
  (schema as S & FastChecked)[FAST_CHECK] = accepts;
  return schema;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIntIn = (v: unknown, max: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

/** LogMetricsBody's valid bodies, checked without copying (see withFastCheck). */
function acceptsMetricBatch(body: unknown): boolean {
  if (!isPlainObject(body)) return false;
  let keys = 0;
  for (const k in body) if (Object.prototype.hasOwnProperty.call(body, k) && (keys++, k !== 'metrics')) return false;
  const metrics = body.metrics;
  if (keys !== 1 || !Array.isArray(metrics) || metrics.length < 1 || metrics.length > MAX_METRIC_POINTS_PER_REQUEST) return false;
  for (let i = 0; i < metrics.length; i++) {
    const p: unknown = metrics[i];
    if (!isPlainObject(p) || Object.getPrototypeOf(p) !== Object.prototype) return false;
    let count = 0;
    for (const k in p) {
      if (!Object.prototype.hasOwnProperty.call(p, k)) continue;
      count++;
      if (k !== 'key' && k !== 'value' && k !== 'step' && k !== 'timestamp') return false;
    }
    const { key, value, step, timestamp } = p;
    if (typeof key !== 'string' || key.length < 1 || key.length > 250) return false;
    if (typeof value !== 'number' || !Number.isFinite(value)) return false;
    if (step !== undefined && !isIntIn(step, Number.MAX_SAFE_INTEGER)) return false;
    if (timestamp !== undefined && !isIntIn(timestamp, 8.64e15)) return false;
    if (count !== 2 + (step !== undefined ? 1 : 0) + (timestamp !== undefined ? 1 : 0)) return false;
  }
  return true;
}

const LogMetricsSchema = z.strictObject({
  metrics: z
    .array(
      z.strictObject({
        key: z.string().min(1).max(250),
        value: finiteNumber,
        step: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
        timestamp: z.number().int().min(0).max(8.64e15).optional(),
      }),
    )
    .min(1)
    .max(MAX_METRIC_POINTS_PER_REQUEST),
});
export const LogMetricsBody = withFastCheck(LogMetricsSchema, acceptsMetricBatch);

export const MetricKeyParams = z.object({ id: z.string().min(1).max(128), key: z.string().min(1).max(250) });

export const SeriesQuery = z.object({
  maxPoints: z.coerce.number().int().min(2).max(100_000).default(1000),
  /** csv: every point (step,value,timestamp), not downsampled, as a file. */
  format: z.enum(['json', 'csv']).default('json'),
});

/** At most this many runs in one bulk request (the runs table's "select all matching" of a large sweep). */
export const BULK_MAX_RUNS = 10_000;

/** POST /runs/bulk: one change to many runs, all or nothing. */
export const BulkRunsBody = z
  .strictObject({
    action: z.enum(['delete', 'tag', 'status']),
    ids: z
      .array(z.string().min(1).max(128))
      .min(1)
      .max(BULK_MAX_RUNS)
      .refine((ids) => new Set(ids).size === ids.length, 'a run is listed twice'),
    /** tag: merged into each run's tags. */
    tags: z.record(tagKey, tagValue).optional(),
    /** status: each run moves to it (the status machine's 409 for any that cannot). */
    status: RunStatusSchema.optional(),
  })
  .refine((b) => b.action !== 'tag' || (b.tags !== undefined && Object.keys(b.tags).length > 0), { message: 'tag needs tags', path: ['tags'] })
  .refine((b) => b.action !== 'status' || b.status !== undefined, { message: 'status needs a status', path: ['status'] })
  .refine((b) => (b.action === 'tag' || b.tags === undefined) && (b.action === 'status' || b.status === undefined), { message: 'give only what the action uses', path: ['action'] });
export type BulkRunsInput = z.output<typeof BulkRunsBody>;

/** At most this many runs are grouped (the first of the search's order). */
export const GROUP_MAX_RUNS = 10_000;

/** GET /runs/importance: which parameters matter for a metric, over the runs a search matches. */
export const ImportanceQuery = z.object({
  metric: z.string().min(1).max(250),
  ...RUN_SELECTION,
});

/** GET /runs/groups: the runs a search matches, grouped. */
export const GroupRunsQuery = z.object({
  /** seed-free: runs that differ only in seed-like params (seed, random_state, …); or columns (src/shared/runs/columns.ts). */
  by: z.string().min(1).max(5000).default('seed-free'),
  ...RUN_SELECTION,
});

const runIdList = z
  .string()
  .min(1, 'must list run ids separated by commas')
  .transform((text) => text.split(',').map((id) => id.trim()).filter(Boolean))
  .refine((ids) => ids.length >= 1 && ids.length <= GROUP_MAX_RUNS, `between 1 and ${GROUP_MAX_RUNS} runs`)
  .refine((ids) => new Set(ids).size === ids.length, 'a run is listed twice');
/** GET /compare/groups?a=…&b=…: two configurations across their seeds. */
export const CompareGroupsQuery = z.object({ a: runIdList, b: runIdList });

/** GET /runs/export: the runs a search matches (every page), as CSV. */
export const ExportRunsQuery = z.object({
  format: z.literal('csv').default('csv'),
  ...RUN_SELECTION,
  sort: runSort,
  /** src/shared/runs/columns.ts; default: identity, every param and every metric's latest value. */
  columns: z.string().max(20_000).optional(),
});

// ---- evaluation

/**
 * An array of one value per example, checked where it lies: z.array() builds a copy of every array
 * and z.record() of every row, which for an evaluation of 200,000 examples with data rows was ~80 ms
 * of the server's main thread plus the garbage (measured). Same messages as zod's.
 */
const perExample = <T>(kind: 'value' | 'row') =>
  z.unknown().superRefine((value, ctx) => {
    if (!Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: `Invalid input: expected array, received ${value === null ? 'null' : typeof value}` });
      return;
    }
    if (value.length === 0 && kind === 'value') {
      ctx.addIssue({ code: 'custom', message: 'Too small: expected array to have >=1 items' });
      return;
    }
    if (kind === 'row') {
      for (let i = 0; i < value.length; i++) {
        const row: unknown = value[i];
        if (!isPlainObject(row)) {
          ctx.addIssue({ code: 'custom', path: [i], message: `Invalid input: expected record, received ${row === null ? 'null' : Array.isArray(row) ? 'array' : typeof row}` });
          return;
        }
      }
    }
  }) as unknown as z.ZodType<T[]>;

const columnName = z.string().min(1).max(500);
/** Evaluate from a dataset version: which columns hold the label, the prediction (one of three forms) and the slices. */
export const DatasetEvalColumnsSchema = z
  .strictObject({
    label: columnName,
    prediction: columnName.optional(),
    score: columnName.optional(),
    probabilities: z.array(columnName).min(2).max(1000).optional(),
    slices: z.array(columnName).max(50).optional(),
  })
  .refine((c) => [c.prediction, c.score, c.probabilities].filter((x) => x !== undefined).length === 1, 'give one of prediction (labels or values), score, probabilities (one column per class)');
export type DatasetEvalColumns = z.output<typeof DatasetEvalColumnsSchema>;

export const EvaluateBody = z.strictObject({
  /** Inline: one entry per example. */
  predictions: perExample<unknown>('value').optional(),
  labels: perExample<unknown>('value').optional(),
  data: perExample<Record<string, unknown>>('row').optional(),
  /** Or from a stored dataset version: its id and the columns to read. */
  datasetId: z.string().min(1).max(64).optional(),
  columns: DatasetEvalColumnsSchema.optional(),
  config: z.strictObject({
    taskType: z.enum(['classification', 'regression']),
    classes: z.array(z.union([z.string(), z.number()])).optional(),
    positiveClass: z.union([z.string(), z.number()]).optional(),
    predictionType: z.enum(['label', 'probabilities', 'score']).optional(),
    sliceAttributes: z.array(z.string()).optional(),
    bootstrap: z
      .strictObject({
        resamples: z.number().int().min(0).max(100_000).optional(),
        level: z.number().gt(0).lt(1).optional(),
        seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
        method: z.enum(['percentile', 'bca']).optional(),
      })
      .optional(),
    maxFailureExamples: z.number().int().min(0).max(100_000).optional(),
    minSliceSize: z.number().int().min(1).optional(),
  }),
}).superRefine((b, ctx) => {
  const inline = b.predictions !== undefined || b.labels !== undefined || b.data !== undefined;
  const stored = b.datasetId !== undefined || b.columns !== undefined;
  if (inline && stored) ctx.addIssue({ code: 'custom', message: 'give predictions and labels, or datasetId and columns, not both', path: ['datasetId'] });
  else if (stored && (b.datasetId === undefined || b.columns === undefined)) ctx.addIssue({ code: 'custom', message: 'evaluating from a dataset needs both datasetId and columns', path: [b.datasetId === undefined ? 'datasetId' : 'columns'] });
  else if (!stored && (b.predictions === undefined || b.labels === undefined)) ctx.addIssue({ code: 'custom', message: 'Required', path: [b.predictions === undefined ? 'predictions' : 'labels'] });
});
export type EvalConfigInput = z.output<typeof EvaluateBody>['config'];

export const ReportQuery = z.object({ format: z.enum(['html', 'md']).default('html') });

// ---- latency

export const LatencySamplesBody = z
  .strictObject({
    samplesMs: z
      .array(z.number().refine(Number.isFinite, 'must be a finite number').min(0, 'must be ≥ 0'))
      .min(1)
      .max(10_000_000),
    /** The measured phase's length, when the samples come from a load run (gives throughput). */
    durationMs: z.number().positive().max(7 * 24 * 3600 * 1000).optional(),
    /** How many of the samples were failures, by kind ("status:500", "timeout", …). */
    errorsByKind: z.record(z.string().min(1).max(100), z.number().int().min(0)).optional(),
    /** How the samples were taken (tool, target, concurrency, …), stored with the result. */
    config: z.record(z.string().max(100), z.json()).optional(),
  })
  .refine((b) => Object.keys(b.errorsByKind ?? {}).length <= 100, { message: 'at most 100 error kinds', path: ['errorsByKind'] })
  .refine((b) => Object.values(b.errorsByKind ?? {}).reduce((sum, n) => sum + n, 0) <= b.samplesMs.length, {
    message: 'cannot exceed the number of samples',
    path: ['errorsByKind'],
  })
  .refine((b) => b.config === undefined || JSON.stringify(b.config).length <= 16 * 1024, { message: 'at most 16 KB', path: ['config'] });

export const ProfileBody = z
  .strictObject({
    target: z
      .strictObject({
        url: z.string().url().max(2048),
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).optional(),
        headers: z.record(z.string(), z.string().max(8192)).optional(),
        /** Text as it is sent, or a JSON object or array: sent as JSON, with content-type application/json unless a header says otherwise. */
        body: z.union([z.string().max(10 * 1024 * 1024), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
      })
      .transform(({ body, headers, ...target }) => {
        if (body === undefined || typeof body === 'string') return { ...target, ...(headers && { headers }), ...(body !== undefined && { body }) };
        const typed = Object.keys(headers ?? {}).some((h) => h.toLowerCase() === 'content-type');
        return { ...target, headers: { ...(typed ? {} : { 'content-type': 'application/json' }), ...headers }, body: JSON.stringify(body) };
      }),
    warmup: z.number().int().min(0).max(100_000).optional(),
    concurrency: z.number().int().min(1).max(1024).optional(),
    requests: z.number().int().min(1).max(10_000_000).optional(),
    durationMs: z.number().int().min(1).max(600_000).optional(),
    rateRps: z.number().gt(0).max(100_000).optional(),
    timeoutMs: z.number().int().min(1).max(600_000).optional(),
  })
  .refine((b) => (b.requests === undefined) !== (b.durationMs === undefined), { message: 'give exactly one of requests or durationMs', path: ['requests'] });
