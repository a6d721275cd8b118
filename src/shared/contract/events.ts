/**
 * The live stream's events (GET /api/modellab/events). Every mutation of either API publishes
 * exactly one of the first eleven; profile.progress reports a server-side profile while it runs.
 */
export const EVENT_TYPES = [
  'run.created',
  'run.updated',
  'run.deleted',
  'metrics.logged',
  'experiment.created',
  'experiment.updated',
  'dataset.created',
  'dataset.updated',
  'dataset.deleted',
  'artifact.created',
  'artifact.deleted',
  'profile.progress',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
