/** How runs, experiments and artifact paths look through MLflow's REST API (2.0). Pure. */

import type { Experiment, MetricSummary, Run } from '../../../src/shared/contract/types';
import { mlflowEndTime, mlflowStartTime, mlflowSystemTags, mlflowUserId } from '../../../src/shared/runs/mlflowNames';
import { artifactUri, mlflowStatus, paramValue } from './protocol';

export interface MlflowKeyValue {
  key: string;
  value: string;
}

export interface MlflowMetric {
  key: string;
  value: number;
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
export function runView(run: Run, experiment: Pick<Experiment, 'artifactLocation'>, summaries: MetricSummary[]): MlflowRun {
  const metrics: MlflowMetric[] = summaries.map((s) => ({ key: s.key, value: s.last, timestamp: s.lastTimestamp, step: s.lastStep }));
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
