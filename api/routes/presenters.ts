/** Stored records → API objects, field by field, so internal fields never leak by accident. */
import { toMetricValue } from '../../src/shared/contract/registry';
import type { Dataset, MetricSeriesResponse, MetricSummary, MetricSummaryView, Run } from '../../src/shared/contract/types';

/** A metric summary with NaN and the infinities spelled as strings (JSON has no such numbers). */
export function presentSummary(s: MetricSummary): MetricSummaryView {
  return {
    key: s.key,
    last: toMetricValue(s.last),
    lastStep: s.lastStep,
    lastTimestamp: s.lastTimestamp,
    min: Number.isFinite(s.min) ? s.min : null,
    max: Number.isFinite(s.max) ? s.max : null,
    count: s.count,
    nonFinite: s.nonFinite,
  };
}

export const presentPoints = (points: { step: number; value: number; timestamp: number }[]): MetricSeriesResponse['points'] =>
  points.map((p) => (Number.isFinite(p.value) ? p : { ...p, value: toMetricValue(p.value) }));

export function presentRun(run: Run): Run {
  return {
    id: run.id,
    experimentId: run.experimentId,
    lifecycleStage: run.lifecycleStage,
    name: run.name,
    description: run.description,
    status: run.status,
    datasetId: run.datasetId,
    hyperparameters: run.hyperparameters,
    config: run.config,
    seed: run.seed,
    gitCommit: run.gitCommit,
    gitBranch: run.gitBranch,
    gitDirty: run.gitDirty,
    tags: run.tags,
    notes: run.notes,
    metrics: run.metrics,
    metricExtremes: run.metricExtremes,
    latency: run.latency,
    inputs: run.inputs,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    updatedAt: run.updatedAt,
  };
}

export function presentDataset(d: Dataset): Dataset {
  return {
    id: d.id,
    name: d.name,
    version: d.version,
    checksum: d.checksum,
    sizeBytes: d.sizeBytes,
    format: d.format,
    originalFilename: d.originalFilename,
    rowCount: d.rowCount,
    columnCount: d.columnCount,
    schema: d.schema,
    parentId: d.parentId,
    schemaChanges: d.schemaChanges,
    description: d.description,
    tags: d.tags,
    createdAt: d.createdAt,
    warnings: d.warnings,
    ...(d.createdBy && { createdBy: d.createdBy }),
  };
}
