/**
 * MLflow's protocol as ModelLab serves it: its limits, its error codes and statuses, and how its
 * values (statuses, times, params) map onto ModelLab runs. One model, two doors: an MLflow run IS a
 * ModelLab run — mlflow.runName ↔ name, params ↔ hyperparameters (values as strings), tags ↔ tags,
 * mlflow.source.git.commit ↔ gitCommit, mlflow.note.content ↔ notes, RUNNING ↔ running,
 * SCHEDULED ↔ pending, FINISHED ↔ completed, FAILED/KILLED ↔ failed.
 */
import { AppError } from '../../../src/shared/errors';
import type { Experiment, Run, RunStatus } from '../../../src/shared/contract/types';
import { artifactUriOf, MLFLOW_STATUS, TAG_GIT_COMMIT, TAG_NOTE, TAG_RUN_NAME, TAG_USER } from '../../../src/shared/runs/mlflowNames';

export { TAG_GIT_COMMIT, TAG_NOTE, TAG_RUN_NAME, TAG_USER };
/** Where runs/log-model keeps the logged models' metadata (a JSON list), as MLflow's stores do. */
export const TAG_MODEL_HISTORY = 'mlflow.log-model.history';
/** Tags that are ModelLab fields, not entries of run.tags. */
export const MAPPED_TAGS = [TAG_RUN_NAME, TAG_GIT_COMMIT, TAG_NOTE] as const;

// MLflow's own limits (mlflow/utils/validation.py).
export const MAX_PARAM_KEY = 250;
export const MAX_PARAM_VALUE = 6000;
export const MAX_TAG_KEY = 250;
export const MAX_TAG_VALUE = 5000; // as ModelLab's own tags (MLflow 2.0's limit; later MLflow versions allow 8000)
export const MAX_METRIC_KEY = 250;
export const MAX_BATCH_METRICS = 1000;
export const MAX_BATCH_PARAMS = 100;
export const MAX_BATCH_TAGS = 100;
export const MAX_BATCH_TOTAL = 1000;
export const MAX_RESULTS_DEFAULT = 1000;
export const MAX_RESULTS_LIMIT = 50_000;

/** MLflow's error: `{error_code, message}` with its HTTP status. */
export class MlflowError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export const invalidParameter = (message: string) => new MlflowError(400, 'INVALID_PARAMETER_VALUE', message);
export const doesNotExist = (message: string) => new MlflowError(404, 'RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string) => new MlflowError(400, 'RESOURCE_ALREADY_EXISTS', message);

/** ModelLab's AppError (or anything) → MLflow's error codes and statuses. */
export function toMlflowError(error: unknown): MlflowError {
  if (error instanceof MlflowError) return error;
  if (error instanceof AppError) {
    if (error.status === 404) return doesNotExist(error.message);
    if (error.status === 409) return alreadyExists(error.message);
    if (error.status === 401) return new MlflowError(401, 'UNAUTHENTICATED', error.message);
    if (error.status === 403) return new MlflowError(403, 'PERMISSION_DENIED', error.message);
    if (error.status === 413) return new MlflowError(413, 'INVALID_PARAMETER_VALUE', error.message);
    if (error.status >= 400 && error.status < 500) return invalidParameter(error.message);
    // A full disk: say so, with a status MLflow's client does not retry (it retries 429 and 500–504).
    if (error.status === 507) return new MlflowError(507, 'INTERNAL_ERROR', error.message);
  }
  return new MlflowError(500, 'INTERNAL_ERROR', 'Internal server error; the server log has the details');
}

// ---------------------------------------------------------------- statuses and values

const TO_MLFLOW = MLFLOW_STATUS;
const FROM_MLFLOW: Record<string, RunStatus> = { SCHEDULED: 'pending', RUNNING: 'running', FINISHED: 'completed', FAILED: 'failed', KILLED: 'failed' };
export const MLFLOW_STATUSES = Object.keys(FROM_MLFLOW);

export const mlflowStatus = (status: RunStatus) => TO_MLFLOW[status];

export function statusFromMlflow(status: string): RunStatus {
  const mapped = FROM_MLFLOW[status];
  if (!mapped) throw invalidParameter(`Invalid value '${status}' for parameter 'status': must be one of ${MLFLOW_STATUSES.join(', ')}`);
  return mapped;
}

/** A hyperparameter as an MLflow param value: strings as they are, anything else as JSON. */
export const paramValue = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

export const isoFromMs = (ms: number): string => new Date(ms).toISOString();

/** Where MLflow clients put a run's artifacts: the experiment's location + /<run id>/artifacts. */
export const artifactUri = (run: Run, experiment: Pick<Experiment, 'artifactLocation'>) => artifactUriOf(experiment.artifactLocation, run.id);
