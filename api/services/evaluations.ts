/**
 * Evaluating a run: the harness's result becomes the run's evaluation documents (artifacts at fixed
 * paths, the previous set kept under evaluations/history/<timestamp>/) and its headline metrics.
 * Node only (writes files); the harness itself is pure.
 */
import type { ArtifactFiles } from '../storage';
import { unprocessable } from '../../src/shared/errors';
import { EvalInputError, type EvalInput } from '../../src/shared/evalHarness';
import { evaluateOffThread, type EvaluationOutcome } from '../workers/evaluateOffThread';
import { nowIso } from '../../src/shared/ids';
import type { Store } from '../storage';

export const EVALUATION_FILES = {
  metrics: 'metrics.json',
  slices: 'slices.json',
  failures: 'failure_examples.json',
  predictions: 'predictions.json',
  curves: 'curves.json',
} as const;

export interface EvaluationDocuments {
  metrics: Record<string, unknown>;
  slices: Record<string, unknown>;
  failureExamples: Record<string, unknown>;
  /** ROC, precision–recall and calibration curves, or residuals (null for an evaluation made before they were kept). */
  curves: Record<string, unknown> | null;
}

export function documentsOf(runId: string, result: EvaluationOutcome, createdAt = nowIso()): EvaluationDocuments & { predictionsText: string } {
  // What a paired comparison of two runs needs later: per-example labels and predictions. From a
  // worker thread they come as JSON text already (see packResult), spliced in after the run's fields.
  const head = JSON.stringify({ runId, taskType: result.taskType });
  const predictionsText =
    result.perExample !== null ? JSON.stringify({ runId, taskType: result.taskType, ...result.perExample }) : result.perExampleJson === '{}' ? head : `${head.slice(0, -1)},${result.perExampleJson.slice(1)}`;
  return {
    metrics: {
      runId,
      taskType: result.taskType,
      n: result.n,
      createdAt,
      metrics: result.metrics,
      perClass: result.perClass,
      confusionMatrix: result.confusionMatrix,
      bootstrap: result.bootstrap,
    },
    slices: { runId, slices: result.slices },
    failureExamples: { runId, total: result.failureExamples.total, examples: result.failureExamples.examples },
    curves: { runId, ...result.curves },
    predictionsText,
  };
}

export async function evaluateRun(store: Store, artifacts: ArtifactFiles, runId: string, input: EvalInput): Promise<EvaluationDocuments> {
  await store.getRun(runId); // 404 before any work
  let result: EvaluationOutcome;
  try {
    result = await evaluateOffThread(input);
  } catch (error) {
    if (error instanceof EvalInputError) {
      throw unprocessable(error.message, { field: error.field, ...(error.index !== null && { index: error.index }) });
    }
    throw error;
  }
  // Computed in parallel with other evaluations; applied one at a time per run, so the documents on
  // disk and run.metrics always come from one evaluation and every earlier set is in history.
  return artifacts.exclusive(runId, async () => {
    const docs = documentsOf(runId, result);
    const at = (docs.metrics.createdAt as string).replace(/[:.]/g, '-');
    const [, stamp] = await artifacts.freePath(runId, 'evaluations', (n) => ['history', n === 0 ? at : `${at}-${n}`]);
    await artifacts.replaceGenerated(
      runId,
      'evaluations',
      [
        { name: EVALUATION_FILES.metrics, content: JSON.stringify(docs.metrics, null, 1) },
        { name: EVALUATION_FILES.slices, content: JSON.stringify(docs.slices, null, 1) },
        { name: EVALUATION_FILES.failures, content: JSON.stringify(docs.failureExamples, null, 1) },
        { name: EVALUATION_FILES.curves, content: JSON.stringify(docs.curves) },
        { name: EVALUATION_FILES.predictions, content: docs.predictionsText },
      ],
      (name) => ['history', stamp!, name],
    );
    const headline = Object.fromEntries(Object.entries(result.metrics).filter(([, m]) => m.value !== null).map(([key, m]) => [key, m.value as number]));
    await store.updateRun(runId, (run) => ({ ...run, metrics: { ...run.metrics, ...headline }, updatedAt: nowIso() }));
    return { metrics: docs.metrics, slices: docs.slices, failureExamples: docs.failureExamples, curves: docs.curves };
  });
}

/**
 * The run's current evaluation documents, read as one set (never half of one evaluation and half of
 * the next); null for each that is absent. predictions.json (one value per example) only on request.
 */
export function readEvaluation(
  artifacts: ArtifactFiles,
  runId: string,
  options: { predictions?: boolean } = {},
): Promise<{ metrics: Record<string, unknown> | null; slices: Record<string, unknown> | null; failureExamples: Record<string, unknown> | null; curves: Record<string, unknown> | null; predictions: Record<string, unknown> | null }> {
  const read = (name: string) => artifacts.readJson<Record<string, unknown>>(runId, `evaluations/${name}`);
  return artifacts.exclusive(runId, async () => {
    const [metrics, slices, failureExamples, curves, predictions] = await Promise.all([
      read(EVALUATION_FILES.metrics),
      read(EVALUATION_FILES.slices),
      read(EVALUATION_FILES.failures),
      read(EVALUATION_FILES.curves),
      options.predictions ? read(EVALUATION_FILES.predictions) : null,
    ]);
    return { metrics, slices, failureExamples, curves, predictions };
  });
}
