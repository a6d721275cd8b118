/**
 * The model registry's records and request schemas: logged models (a model a run produced, with its
 * files), registered models (a name with versions and aliases) and model versions. Browser-safe.
 *
 * Version numbers are never reused: a registered model keeps the highest number it ever gave
 * (`lastVersion`), so "v3" names one model for the life of the registry, as in MLflow.
 */
import { z } from 'zod';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT } from './constants';

export const LOGGED_MODEL_STATUSES = ['pending', 'ready', 'failed'] as const;
export const MODEL_VERSION_STATUSES = ['pending', 'ready', 'failed'] as const;
/** MLflow's legacy stages; aliases are the current way to name a version. */
export const MODEL_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;

export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];
export type ModelStage = (typeof MODEL_STAGES)[number];

/** A metric value: a number, or how JSON spells the IEEE values it cannot hold (MLflow's spelling). */
export type NonFinite = 'NaN' | 'Infinity' | '-Infinity';
export type MetricValue = number | NonFinite;

/** Logged model ids look like MLflow 3's: "m-" and 32 hex digits. */
export const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;

export interface LoggedModel {
  id: string;
  name: string;
  experimentId: string;
  /** The run that produced it (null for a model logged outside a run). */
  sourceRunId: string | null;
  status: LoggedModelStatus;
  statusMessage: string | null;
  /** Free text such as "Classifier" or "Agent" (MLflow's model_type). */
  modelType: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Latest value of each metric logged with this model's id. */
  metrics: Record<string, MetricValue>;
  /** Runs that list the model among their outputs (MLflow's runs/outputs), with the step. */
  outputRuns: { runId: string; step: number }[];
  /** Where MLflow clients are told its files live (`mlflow-artifacts:/<experiment>/models/<id>/artifacts`). */
  artifactLocation: string;
  createdAt: string;
  updatedAt: string;
}

/** A logged model as ModelLab's API presents it: with the run that produced it (its dataset version and status). */
export interface LoggedModelView extends LoggedModel {
  sourceRun: { id: string; name: string; status: string; datasetId: string | null; evaluated: boolean } | null;
}

export interface ModelVersion {
  name: string;
  version: number;
  /** runs:/<run>/<path>, models:/<logged model id>, or an artifact URI. */
  source: string;
  runId: string | null;
  modelId: string | null;
  status: ModelVersionStatus;
  statusMessage: string | null;
  stage: ModelStage;
  description: string;
  tags: Record<string, string>;
  userId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RegisteredModel {
  name: string;
  description: string;
  tags: Record<string, string>;
  /** alias → version number; an alias names one version of this model at a time. */
  aliases: Record<string, number>;
  /** The highest version number given so far (0 before the first). */
  lastVersion: number;
  createdAt: string;
  updatedAt: string;
  /** Who created it (users mode); absent for models made without users. */
  createdBy?: string | null;
}

export interface RegisteredModelInput {
  name: string;
  description: string;
  tags: Record<string, string>;
  createdBy?: string | null;
}

export const newRegisteredModel = (input: RegisteredModelInput, at: string): RegisteredModel => ({
  name: input.name,
  description: input.description,
  tags: input.tags,
  aliases: {},
  lastVersion: 0,
  createdAt: at,
  updatedAt: at,
  ...(input.createdBy && { createdBy: input.createdBy }),
});

/** A registered model as the API presents it. */
export interface RegisteredModelView extends RegisteredModel {
  /** The newest version in each stage, as MLflow's latest_versions. */
  latestVersions: ModelVersion[];
  versionCount: number;
}

/** A model version with what the registry page shows beside it. */
export interface ModelVersionView extends ModelVersion {
  aliases: string[];
}

/** Two versions side by side: their runs compared (GET /models/:name/diff). */
export interface ModelVersionDiff {
  a: ModelVersionView;
  b: ModelVersionView;
  /** The comparison of the two versions' runs (baseline: a's), or why there is none. */
  compare: import('./types').CompareResponse | null;
  reason: string | null;
}

// ---------------------------------------------------------------- requests

/** Registered model names: what MLflow accepts, minus the characters that break URLs and paths. */
export const modelName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256)
  .refine((s) => !/[/\\%?#]/.test(s) && ![...s].some((c) => c.charCodeAt(0) < 32), 'must not contain / \\ % ? # or control characters');
export const aliasName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'must start with a letter or _ and hold letters, digits, _ and - only')
  .refine((s) => !/^v\d+$/i.test(s) && s.toLowerCase() !== 'latest', "must not be 'latest' or look like a version ('v3')");
const tags = z.record(z.string().min(1).max(250), z.string().max(5000));

export const ModelNameParams = z.object({ name: modelName });
export const VersionParams = z.object({ name: modelName, version: z.string().regex(/^\d{1,9}$/, 'must be a version number').transform(Number) });
export const AliasParams = z.object({ name: modelName, alias: aliasName });
export const LoggedModelParams = z.object({ id: z.string().regex(LOGGED_MODEL_ID, "must be a logged model id ('m-' and 32 hex digits)") });

export const CreateRegisteredModelBody = z.strictObject({
  name: modelName,
  description: z.string().max(10_000).default(''),
  tags: tags.default({}),
});

export const UpdateRegisteredModelBody = z
  .strictObject({
    name: modelName.optional(),
    description: z.string().max(10_000).optional(),
    tags: tags.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one of name, description, tags');

export const CreateModelVersionBody = z
  .strictObject({
    /** A logged model's id: the version's files are the model's. */
    modelId: z.string().regex(LOGGED_MODEL_ID).optional(),
    /** Or a run and a path in its artifacts (runs:/<run>/<path>). */
    runId: z.string().min(1).max(128).optional(),
    path: z.string().min(1).max(1024).optional(),
    description: z.string().max(10_000).default(''),
    tags: tags.default({}),
  })
  .refine((b) => b.modelId !== undefined || b.runId !== undefined, 'give modelId, or runId (and path)');

export const UpdateModelVersionBody = z
  .strictObject({
    description: z.string().max(10_000).optional(),
    stage: z.enum(MODEL_STAGES).optional(),
    /** With stage Staging or Production: move the model's other versions in that stage to Archived. */
    archiveExisting: z.boolean().default(false),
    tags: tags.optional(),
  })
  .refine((b) => b.description !== undefined || b.stage !== undefined || b.tags !== undefined, 'give at least one of description, stage, tags');

export const SetAliasBody = z.strictObject({ version: z.union([z.number().int().min(1), z.string().regex(/^\d{1,9}$/).transform(Number)]) });

export const ListModelsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).default(LIST_DEFAULT_LIMIT),
  offset: z.coerce.number().int().min(0).default(0),
  filter: z.string().max(10_000).optional(),
});

export const ListLoggedModelsQuery = ListModelsQuery.extend({
  experimentId: z.string().min(1).max(32).optional(),
  runId: z.string().min(1).max(128).optional(),
});

export const CreateLoggedModelBody = z.strictObject({
  name: z.string().trim().min(1).max(256),
  runId: z.string().min(1).max(128),
  modelType: z.string().max(256).nullable().default(null),
  params: tags.default({}),
  tags: tags.default({}),
});

export const UpdateLoggedModelBody = z
  .strictObject({
    status: z.enum(LOGGED_MODEL_STATUSES).optional(),
    tags: tags.optional(),
  })
  .refine((b) => b.status !== undefined || b.tags !== undefined, 'give status or tags');

export const DiffQuery = z.object({
  a: z.string().regex(/^\d{1,9}$/).transform(Number),
  b: z.string().regex(/^\d{1,9}$/).transform(Number),
});

export type CreateModelVersionInput = z.input<typeof CreateModelVersionBody>;
export type UpdateModelVersionInput = z.input<typeof UpdateModelVersionBody>;

// ---------------------------------------------------------------- non-finite metric values

/** A stored value as JSON can carry it: non-finite numbers become MLflow's strings. */
export function toMetricValue(value: number): MetricValue {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

/** A metric value as a number (NaN and the infinities included). */
export function metricNumber(value: MetricValue | null | undefined): number {
  if (value === null || value === undefined) return NaN;
  return typeof value === 'number' ? value : Number(value);
}

/** The value when it is finite, else null (for arithmetic, charts and rankings). */
export const finiteMetric = (value: MetricValue | null | undefined): number | null => {
  const n = metricNumber(value);
  return Number.isFinite(n) ? n : null;
};
