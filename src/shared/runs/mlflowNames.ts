/**
 * How MLflow names a ModelLab run's parts: its statuses, its system tags, its artifact location.
 * One definition for MLflow's views (api/routes/mlflow) and for searching runs by MLflow's names.
 */
import type { Run, RunStatus } from '../contract/types';

export const TAG_RUN_NAME = 'mlflow.runName';
export const TAG_GIT_COMMIT = 'mlflow.source.git.commit';
export const TAG_NOTE = 'mlflow.note.content';
export const TAG_USER = 'mlflow.user';
export const TAG_DATA_CONTEXT = 'mlflow.data.context';

export const MLFLOW_STATUS: Record<RunStatus, string> = { pending: 'SCHEDULED', running: 'RUNNING', completed: 'FINISHED', failed: 'FAILED' };

/** Where MLflow clients put a run's artifacts: the experiment's location + /<run id>/artifacts. */
export const artifactUriOf = (artifactLocation: string, runId: string) => `${artifactLocation.replace(/\/+$/, '')}/${runId}/artifacts`;

/** The tags MLflow shows that come from the run's own fields (its name, commit and note), in that order. */
export function mlflowSystemTags(run: Run): [string, string][] {
  const tags: [string, string][] = [[TAG_RUN_NAME, run.name]];
  if (run.gitCommit) tags.push([TAG_GIT_COMMIT, run.gitCommit]);
  if (run.notes) tags.push([TAG_NOTE, run.notes]);
  return tags;
}

/** A tag as MLflow shows it: the system tags come from the run's own fields. */
export function mlflowTagValue(run: Run, key: string): string | undefined {
  if (key === TAG_RUN_NAME || key === TAG_GIT_COMMIT || key === TAG_NOTE) return mlflowSystemTags(run).find(([k]) => k === key)?.[1];
  return run.tags[key];
}

/** MLflow's start_time: when the run started, or was created if it never did (ms). */
export const mlflowStartTime = (run: Run): number => Date.parse(run.startedAt ?? run.createdAt);
/** MLflow's end_time (ms), absent while the run has not ended. */
export const mlflowEndTime = (run: Run): number | undefined => (run.endedAt === null ? undefined : Date.parse(run.endedAt));
/** MLflow's user_id: the mlflow.user tag, empty when none. */
export const mlflowUserId = (run: Run): string => run.tags[TAG_USER] ?? '';

/** MLflow's run attributes (`attributes.<name>` in a filter) and what they read. */
export const MLFLOW_ATTRIBUTES = ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage', 'start_time', 'end_time', 'created', 'Created'] as const;

export function mlflowAttribute(run: Run, key: string, artifactLocation: (experimentId: string) => string | undefined): string | number | undefined {
  switch (key) {
    case 'run_id':
      return run.id;
    case 'run_name':
      return run.name;
    case 'status':
      return MLFLOW_STATUS[run.status];
    case 'user_id':
      return mlflowUserId(run);
    case 'lifecycle_stage':
      return run.lifecycleStage;
    case 'artifact_uri': {
      const location = artifactLocation(run.experimentId);
      return location === undefined ? undefined : artifactUriOf(location, run.id);
    }
    case 'end_time':
      return mlflowEndTime(run);
    default: // start_time, created, Created
      return mlflowStartTime(run);
  }
}
