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

/** A tag as MLflow shows it: the system tags come from the run's own fields. */
export function mlflowTagValue(run: Run, key: string): string | undefined {
  if (key === TAG_RUN_NAME) return run.name;
  if (key === TAG_GIT_COMMIT) return run.gitCommit ?? undefined;
  if (key === TAG_NOTE) return run.notes || undefined;
  return run.tags[key];
}

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
      return run.tags[TAG_USER] ?? '';
    case 'lifecycle_stage':
      return run.lifecycleStage;
    case 'artifact_uri': {
      const location = artifactLocation(run.experimentId);
      return location === undefined ? undefined : artifactUriOf(location, run.id);
    }
    case 'end_time':
      return run.endedAt === null ? undefined : Date.parse(run.endedAt);
    default: // start_time, created, Created
      return Date.parse(run.startedAt ?? run.createdAt);
  }
}
