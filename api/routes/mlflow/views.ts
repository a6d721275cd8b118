/** How runs, experiments and artifact paths look through MLflow's REST API (2.0). Pure. */

import type { Experiment, MetricSummary, MetricValue, Run } from '../../../src/shared/contract/types';
import { toMetricValue, type LoggedModel, type LoggedModelStatus, type ModelVersion, type ModelVersionStatus, type RegisteredModel } from '../../../src/shared/contract/registry';
import { aliasesOf } from '../../../src/shared/models/registry';
import { mlflowEndTime, mlflowStartTime, mlflowSystemTags, mlflowUserId } from '../../../src/shared/runs/mlflowNames';
import { artifactUri, mlflowStatus, paramValue } from './protocol';

export interface MlflowKeyValue {
  key: string;
  value: string;
}

export interface MlflowMetric {
  key: string;
  /** NaN and the infinities as MLflow's JSON spells them: "NaN", "Infinity", "-Infinity". */
  value: MetricValue;
  timestamp: number;
  step: number;
}

export interface MlflowRunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: string;
}

export interface MlflowRun {
  info: MlflowRunInfo;
  data: { metrics: MlflowMetric[]; params: MlflowKeyValue[]; tags: MlflowKeyValue[] };
  inputs: { dataset_inputs: { tags: MlflowKeyValue[]; dataset: Record<string, string> }[] };
  outputs?: { model_outputs: { model_id: string; step: number }[] };
}

export function runTags(run: Run): MlflowKeyValue[] {
  return [...Object.entries(run.tags), ...mlflowSystemTags(run)].map(([key, value]) => ({ key, value }));
}

export function runInfo(run: Run, experiment: Pick<Experiment, 'artifactLocation'>): MlflowRunInfo {
  const end = mlflowEndTime(run);
  return {
    run_id: run.id,
    run_uuid: run.id,
    run_name: run.name,
    experiment_id: run.experimentId,
    user_id: mlflowUserId(run),
    status: mlflowStatus(run.status),
    start_time: mlflowStartTime(run),
    ...(end !== undefined && { end_time: end }),
    artifact_uri: artifactUri(run, experiment),
    lifecycle_stage: run.lifecycleStage,
  };
}

/**
 * The whole run. Metrics are the latest value of each key with its step and time, from the series
 * (`summaries`); a value only in run.metrics (set through ModelLab's API without a series point)
 * is shown at step 0 and the run's last update.
 */
export function runView(run: Run, experiment: Pick<Experiment, 'artifactLocation'>, summaries: MetricSummary[], modelOutputs: { model_id: string; step: number }[] = []): MlflowRun {
  const metrics: MlflowMetric[] = summaries.map((s) => ({ key: s.key, value: toMetricValue(s.last), timestamp: s.lastTimestamp, step: s.lastStep }));
  const seen = new Set(summaries.map((s) => s.key));
  for (const [key, value] of Object.entries(run.metrics)) {
    if (!seen.has(key)) metrics.push({ key, value, timestamp: Date.parse(run.updatedAt), step: 0 });
  }
  return {
    info: runInfo(run, experiment),
    data: {
      metrics,
      params: Object.entries(run.hyperparameters).map(([key, value]) => ({ key, value: paramValue(value) })),
      tags: runTags(run),
    },
    inputs: {
      dataset_inputs: run.inputs.map((input) => ({
        tags: Object.entries(input.tags).map(([key, value]) => ({ key, value })),
        dataset: {
          name: input.name,
          digest: input.digest,
          source_type: input.sourceType,
          source: input.source,
          ...(input.schema !== null && { schema: input.schema }),
          ...(input.profile !== null && { profile: input.profile }),
        },
      })),
    },
    // Only when the run has model outputs (MLflow 3); MLflow 2's clients never see the field.
    ...(modelOutputs.length > 0 && { outputs: { model_outputs: modelOutputs } }),
  };
}

export function experimentView(e: Experiment) {
  return {
    experiment_id: e.id,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: Date.parse(e.updatedAt),
    creation_time: Date.parse(e.createdAt),
    tags: Object.entries(e.tags).map(([key, value]) => ({ key, value })),
  };
}

/** ModelLab artifact path (`<category>/<path>`) ↔ the path MLflow clients see: `other/` is the root. */
export const mlflowArtifactPath = (modellabPath: string): string => (modellabPath.startsWith('other/') ? modellabPath.slice('other/'.length) : modellabPath);

// ---------------------------------------------------------------- model registry (MLflow 3)

const LOGGED_STATUS: Record<LoggedModelStatus, string> = { pending: 'LOGGED_MODEL_PENDING', ready: 'LOGGED_MODEL_READY', failed: 'LOGGED_MODEL_UPLOAD_FAILED' };
const VERSION_STATUS: Record<ModelVersionStatus, string> = { pending: 'PENDING_REGISTRATION', ready: 'READY', failed: 'FAILED_REGISTRATION' };
const keyValues = (record: Record<string, string>) => Object.entries(record).map(([key, value]) => ({ key, value }));

/** LoggedModelStatus by name (as MLflow's client sends enums) or number → ModelLab's status. */
export function loggedStatusFromMlflow(status: string | number): LoggedModelStatus | null {
  const byNumber: Record<number, LoggedModelStatus> = { 1: 'pending', 2: 'ready', 3: 'failed' };
  if (typeof status === 'number') return byNumber[status] ?? null;
  return (Object.entries(LOGGED_STATUS).find(([, name]) => name === status)?.[0] as LoggedModelStatus | undefined) ?? null;
}

export function loggedModelView(m: LoggedModel) {
  const updated = Date.parse(m.updatedAt);
  return {
    info: {
      model_id: m.id,
      experiment_id: m.experimentId,
      name: m.name,
      creation_timestamp_ms: Date.parse(m.createdAt),
      last_updated_timestamp_ms: updated,
      artifact_uri: m.artifactLocation,
      status: LOGGED_STATUS[m.status],
      ...(m.statusMessage && { status_message: m.statusMessage }),
      ...(m.modelType && { model_type: m.modelType }),
      ...(m.sourceRunId && { source_run_id: m.sourceRunId }),
      tags: keyValues(m.tags),
    },
    data: {
      params: keyValues(m.params),
      metrics: Object.entries(m.metrics).map(([key, value]) => ({ key, value, timestamp: updated, step: 0, model_id: m.id })),
    },
  };
}

export function modelVersionView(v: ModelVersion, aliases: string[]) {
  return {
    name: v.name,
    version: String(v.version),
    creation_timestamp: Date.parse(v.createdAt),
    last_updated_timestamp: Date.parse(v.updatedAt),
    ...(v.userId && { user_id: v.userId }),
    current_stage: v.stage,
    ...(v.description && { description: v.description }),
    source: v.source,
    ...(v.runId && { run_id: v.runId }),
    status: VERSION_STATUS[v.status],
    ...(v.statusMessage && { status_message: v.statusMessage }),
    tags: keyValues(v.tags),
    aliases,
    ...(v.modelId && { model_id: v.modelId }),
  };
}

export function registeredModelView(m: RegisteredModel, latest: ModelVersion[]) {
  return {
    name: m.name,
    creation_timestamp: Date.parse(m.createdAt),
    last_updated_timestamp: Date.parse(m.updatedAt),
    ...(m.description && { description: m.description }),
    latest_versions: latest.map((v) => modelVersionView(v, aliasesOf(m, v.version))),
    tags: keyValues(m.tags),
    aliases: Object.entries(m.aliases)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([alias, version]) => ({ alias, version: String(version) })),
  };
}
