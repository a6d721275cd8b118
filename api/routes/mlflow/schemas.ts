/**
 * Request bodies of MLflow's REST API 2.0, as its clients send them. int64 fields arrive as JSON
 * numbers or, from protobuf's JSON mapping, as strings of digits; both are accepted. GET requests
 * carry the same fields in the query string.
 */
import { z } from 'zod';
import { MAX_METRIC_KEY, MAX_PARAM_KEY, MAX_PARAM_VALUE, MAX_RESULTS_LIMIT, MAX_TAG_KEY, MAX_TAG_VALUE, MLFLOW_STATUSES } from './protocol';

const int64 = z.union([z.number().int(), z.string().regex(/^-?\d+$/, 'must be an integer').transform(Number)]);
const id = z.string().min(1).max(128);
const tag = z.object({ key: z.string().min(1).max(MAX_TAG_KEY), value: z.string().max(MAX_TAG_VALUE) });
const param = z.object({ key: z.string().min(1).max(MAX_PARAM_KEY), value: z.string().max(MAX_PARAM_VALUE) });
/** A double: a JSON number, or NaN and the infinities as MLflow's client sends them (strings). */
const metricValue = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity']).transform(Number)]);
/** MLflow 3 adds the logged model (and dataset) a metric belongs to. */
const metric = z.object({
  key: z.string().min(1).max(MAX_METRIC_KEY),
  value: metricValue,
  timestamp: int64,
  step: int64.optional(),
  model_id: z.string().max(128).optional(),
  dataset_name: z.string().max(500).optional(),
  dataset_digest: z.string().max(64).optional(),
  run_id: z.string().max(128).optional(),
});
const viewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']).default('ACTIVE_ONLY');
const maxResults = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.number().int().min(1).max(MAX_RESULTS_LIMIT));
/** A list field that a query string may carry once (a string) or repeated (an array). */
const stringList = z.union([z.array(z.string()), z.string().transform((s) => [s])]);

/** run_id, or the legacy run_uuid. */
const runRef = z.object({ run_id: id.optional(), run_uuid: id.optional() }).refine((b) => b.run_id !== undefined || b.run_uuid !== undefined, {
  message: "Missing value for required parameter 'run_id'",
  path: ['run_id'],
});
export const runIdOf = (b: { run_id?: string | undefined; run_uuid?: string | undefined }) => (b.run_id ?? b.run_uuid)!;

export const CreateExperiment = z.object({ name: z.string().trim().min(1).max(500), artifact_location: z.string().max(2000).optional(), tags: z.array(tag).max(100).optional() });
export const ExperimentRef = z.object({ experiment_id: id });
export const ExperimentByName = z.object({ experiment_name: z.string().min(1) });
export const SearchExperiments = z.object({
  max_results: maxResults.optional(),
  page_token: z.string().optional(),
  filter: z.string().max(10_000).optional(),
  order_by: stringList.optional(),
  view_type: viewType,
});
export const UpdateExperiment = z.object({ experiment_id: id, new_name: z.string().trim().min(1).max(500) });
export const SetExperimentTag = z.object({ experiment_id: id, key: z.string().min(1).max(MAX_TAG_KEY), value: z.string().max(MAX_TAG_VALUE) });

export const CreateRun = z.object({
  experiment_id: id.optional(),
  user_id: z.string().max(256).optional(),
  start_time: int64.optional(),
  tags: z.array(tag).max(1000).optional(),
  run_name: z.string().max(250).optional(),
});
export const GetRun = runRef;
export const UpdateRun = z.intersection(
  runRef,
  z.object({ status: z.enum(MLFLOW_STATUSES as [string, ...string[]]).optional(), end_time: int64.optional(), run_name: z.string().max(250).optional() }),
);
export const RunOnly = z.object({ run_id: id });
export const SearchRuns = z.object({
  experiment_ids: stringList.optional(),
  filter: z.string().max(10_000).optional(),
  run_view_type: viewType,
  max_results: maxResults.optional(),
  order_by: stringList.optional(),
  page_token: z.string().optional(),
});
export const LogMetric = z.intersection(runRef, metric);
export const LogParam = z.intersection(runRef, param);
export const SetTag = z.intersection(runRef, tag);
export const DeleteTag = z.object({ run_id: id, key: z.string().min(1).max(MAX_TAG_KEY) });
export const LogBatch = z.object({
  run_id: id,
  metrics: z.array(metric).optional(),
  params: z.array(param).optional(),
  tags: z.array(tag).optional(),
});
export const LogInputs = z.object({
  run_id: id,
  datasets: z
    .array(
      z.object({
        tags: z.array(tag).optional(),
        dataset: z.object({
          name: z.string().min(1).max(500),
          digest: z.string().min(1).max(64),
          source_type: z.string().max(100),
          source: z.string().max(65_535),
          schema: z.string().max(1_048_576).optional(),
          profile: z.string().max(16_384).optional(),
        }),
      }),
    )
    .max(1000)
    .optional(),
});
export const GetMetricHistory = z.intersection(runRef, z.object({ metric_key: z.string().min(1), max_results: maxResults.optional(), page_token: z.string().optional() }));
export const LogModel = z.object({ run_id: id, model_json: z.string().min(2).max(1_048_576) });

// ---------------------------------------------------------------- logged models and the registry (MLflow 3)

const modelId = z.string().min(1).max(128);
/** A model version: a string in MLflow's protocol ("3"), a number from hand-written clients. */
const versionNumber = z.union([z.string().regex(/^\d{1,9}$/, 'must be a version number'), z.number().int().min(1).max(999_999_999)]).transform(Number);
const registeredName = z.string().min(1).max(256);

export const CreateLoggedModel = z.object({
  experiment_id: id,
  name: z.string().max(256).optional(),
  model_type: z.string().max(256).optional(),
  source_run_id: id.optional(),
  params: z.array(param).max(1000).optional(),
  tags: z.array(tag).max(1000).optional(),
});
export const LoggedModelRef = z.object({ model_id: modelId });
export const FinalizeLoggedModel = z.object({ model_id: modelId, status: z.union([z.string(), z.number().int()]) });
export const SearchLoggedModels = z.object({
  experiment_ids: stringList.optional(),
  filter: z.string().max(10_000).optional(),
  datasets: z.array(z.object({ dataset_name: z.string(), dataset_digest: z.string().optional() })).optional(),
  max_results: maxResults.optional(),
  order_by: z.array(z.object({ field_name: z.string().min(1), ascending: z.boolean().optional(), dataset_name: z.string().optional(), dataset_digest: z.string().optional() })).optional(),
  page_token: z.string().optional(),
});
export const LogLoggedModelParams = z.object({ model_id: modelId, params: z.array(param).max(1000).optional() });
export const SetLoggedModelTags = z.object({ model_id: modelId, tags: z.array(tag).max(1000).optional() });
export const DeleteLoggedModelTag = z.object({ model_id: modelId, tag_key: z.string().min(1).max(MAX_TAG_KEY) });
export const LogOutputs = z.object({ run_id: id, models: z.array(z.object({ model_id: modelId, step: int64.optional() })).max(1000).optional() });

export const CreateRegisteredModel = z.object({ name: registeredName, tags: z.array(tag).max(1000).optional(), description: z.string().max(10_000).optional() });
export const RegisteredModelRef = z.object({ name: registeredName });
export const RenameRegisteredModel = z.object({ name: registeredName, new_name: registeredName });
export const UpdateRegisteredModel = z.object({ name: registeredName, description: z.string().max(10_000).optional() });
export const SearchRegistry = z.object({ filter: z.string().max(10_000).optional(), max_results: maxResults.optional(), order_by: stringList.optional(), page_token: z.string().optional() });
export const GetLatestVersions = z.object({ name: registeredName, stages: stringList.optional() });
export const SetRegisteredModelTag = z.object({ name: registeredName, key: z.string().min(1).max(MAX_TAG_KEY), value: z.string().max(MAX_TAG_VALUE) });
export const DeleteRegisteredModelTag = z.object({ name: registeredName, key: z.string().min(1).max(MAX_TAG_KEY) });
export const SetAlias = z.object({ name: registeredName, alias: z.string().min(1).max(255), version: versionNumber });
export const AliasRef = z.object({ name: registeredName, alias: z.string().min(1).max(255) });
export const CreateModelVersion = z.object({
  name: registeredName,
  source: z.string().min(1).max(4000),
  run_id: id.optional(),
  tags: z.array(tag).max(1000).optional(),
  run_link: z.string().max(4000).optional(),
  description: z.string().max(10_000).optional(),
  model_id: modelId.optional(),
});
export const ModelVersionRef = z.object({ name: registeredName, version: versionNumber });
export const UpdateModelVersion = z.object({ name: registeredName, version: versionNumber, description: z.string().max(10_000).optional() });
export const TransitionStage = z.object({
  name: registeredName,
  version: versionNumber,
  stage: z.string().min(1),
  archive_existing_versions: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
});
export const SetModelVersionTag = z.object({ name: registeredName, version: versionNumber, key: z.string().min(1).max(MAX_TAG_KEY), value: z.string().max(MAX_TAG_VALUE) });
export const DeleteModelVersionTag = z.object({ name: registeredName, version: versionNumber, key: z.string().min(1).max(MAX_TAG_KEY) });
