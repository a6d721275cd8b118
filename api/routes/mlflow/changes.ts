/** Changes through the MLflow door, as pure functions of a run: params (immutable), tags, status. */

import type { Run, RunStatus } from '../../../src/shared/contract/types';
import { TAG_GIT_COMMIT, TAG_NOTE, TAG_RUN_NAME } from '../../../src/shared/runs/mlflowNames';
import { doesNotExist, invalidParameter, isoFromMs, paramValue } from './protocol';
import { type MlflowKeyValue } from './views';

/**
 * Applies MLflow params to a copy of the run: new keys are added; a key logged again must carry the
 * same value (MLflow params are immutable), else INVALID_PARAMETER_VALUE.
 */
export function withParams(run: Run, params: MlflowKeyValue[]): Run {
  const hyperparameters = { ...run.hyperparameters };
  for (const { key, value } of params) {
    if (key in hyperparameters) {
      const old = paramValue(hyperparameters[key]);
      if (old !== value) {
        throw invalidParameter(
          `Changing param values is not allowed. Param with key='${key}' was already logged with value='${old}' for run ID='${run.id}'. Attempted logging new value '${value}'.`,
        );
      }
      continue;
    }
    hyperparameters[key] = value;
  }
  return { ...run, hyperparameters };
}

/** Applies MLflow tags to a copy of the run; mapped tags set their ModelLab field, others overwrite run.tags. */
export function withTags(run: Run, tags: MlflowKeyValue[]): Run {
  const next: Run = { ...run, tags: { ...run.tags } };
  for (const { key, value } of tags) {
    if (key === TAG_RUN_NAME) next.name = value;
    else if (key === TAG_NOTE) next.notes = value;
    else if (key === TAG_GIT_COMMIT) {
      if (!/^[0-9a-fA-F]{7,64}$/.test(value)) next.tags[key] = value; // not a hash: kept as a plain tag
      else next.gitCommit = value.toLowerCase();
    } else next.tags[key] = value;
  }
  return next;
}

export function withoutTag(run: Run, key: string): Run {
  if (key === TAG_NOTE) return { ...run, notes: '' };
  if (key === TAG_GIT_COMMIT && run.gitCommit) return { ...run, gitCommit: null };
  if (key === TAG_RUN_NAME) throw invalidParameter(`The tag '${TAG_RUN_NAME}' holds the run's name and cannot be deleted`);
  if (!(key in run.tags)) throw doesNotExist(`No tag with name: ${key} in run with id ${run.id}`);
  const tags = { ...run.tags };
  delete tags[key];
  return { ...run, tags };
}

/**
 * Sets an MLflow status on a copy of the run. MLflow lets a finished run be resumed (RUNNING again:
 * `mlflow.start_run(run_id=…)`), which ModelLab's own state machine forbids; through this door it
 * is allowed, and the end time is cleared.
 */
export function withStatus(run: Run, status: RunStatus, at: string, endTime?: number): Run {
  const next = { ...run, status };
  if (status === 'running') {
    next.startedAt = run.startedAt ?? at;
    next.endedAt = null;
  } else if (status === 'completed' || status === 'failed') {
    next.startedAt = run.startedAt ?? at;
    next.endedAt = endTime !== undefined ? isoFromMs(endTime) : (run.endedAt ?? at);
  }
  return next;
}
