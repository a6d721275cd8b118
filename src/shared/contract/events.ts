/**
 * The live stream's events (GET /api/modellab/events). Every mutation of either API publishes
 * exactly one of them; profile.progress (last) reports a server-side profile while it runs.
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
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
