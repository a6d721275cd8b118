/**
 * The live stream's events (GET /api/modellab/events). Every mutation of either API publishes
 * exactly one of them; profile.progress and evaluation.progress (last) report a server-side profile
 * and an evaluation from a dataset while they run.
 */
export const EVENT_TYPES = [
  'run.created',
  'run.updated',
  'run.deleted',
  'runs.updated',
  'runs.deleted',
  'metrics.logged',
  'experiment.created',
  'experiment.updated',
  'dataset.created',
  'dataset.updated',
  'dataset.deleted',
  'artifact.created',
  'artifact.deleted',
  'logged_model.created',
  'logged_model.updated',
  'logged_model.deleted',
  'registered_model.created',
  'registered_model.updated',
  'registered_model.deleted',
  'model_version.created',
  'model_version.updated',
  'model_version.deleted',
  'permission.updated',
  'profile.progress',
  'evaluation.progress',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
