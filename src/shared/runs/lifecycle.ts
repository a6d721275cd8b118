/** The run state machine: pending → running → completed | failed, and pending → failed. Pure. */
import { conflict } from '../errors';
import { newId, nowIso, randomSeed } from '../ids';
import type { CreateRunData, Run, RunStatus, UpdateRunData } from '../contract/types';

export const RUN_TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  pending: ['running', 'failed'],
  running: ['completed', 'failed'],
  completed: [],
  failed: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return from === to || RUN_TRANSITIONS[from].includes(to);
}

/** Sets status and the timestamps it implies; throws 409 naming the allowed transitions. Same status is a no-op. */
function applyStatus(run: Run, to: RunStatus, at: string): void {
  if (run.status === to) return;
  if (!canTransition(run.status, to)) {
    const allowed = RUN_TRANSITIONS[run.status];
    throw conflict(
      `Run status cannot change from '${run.status}' to '${to}'; allowed from '${run.status}': ${
        allowed.length ? allowed.join(', ') : 'none (terminal state)'
      }`,
      { from: run.status, to, allowed },
    );
  }
  if (to === 'running') run.startedAt = at;
  if (to === 'completed' || to === 'failed') run.endedAt = at;
  run.status = to;
}

export interface GitInfo {
  commit: string | null;
  branch: string | null;
  dirty: boolean | null;
}

/** Builds a new run record from a validated create request. */
export function newRun(data: CreateRunData, git: GitInfo, at = nowIso()): Run {
  const run: Run = {
    id: newId(),
    experimentId: data.experimentId,
    lifecycleStage: 'active',
    name: data.name,
    description: data.description,
    status: 'pending',
    datasetId: data.datasetId,
    hyperparameters: data.hyperparameters,
    config: data.config,
    seed: data.seed ?? randomSeed(),
    gitCommit: data.gitCommit?.toLowerCase() ?? git.commit,
    gitBranch: data.gitBranch !== undefined ? data.gitBranch : data.gitCommit ? null : git.branch,
    gitDirty: data.gitDirty !== undefined ? data.gitDirty : data.gitCommit ? null : git.dirty,
    tags: data.tags,
    notes: data.notes,
    metrics: data.metrics,
    metricExtremes: {},
    latency: null,
    inputs: [],
    createdAt: at,
    startedAt: null,
    endedAt: null,
    updatedAt: at,
  };
  // A run may be recorded after the fact (already running or finished): walk the state machine so the
  // timestamps are the same as if it had been driven there step by step.
  const path: Record<RunStatus, RunStatus[]> = {
    pending: [],
    running: ['running'],
    completed: ['running', 'completed'],
    failed: ['failed'],
  };
  for (const step of path[data.status]) applyStatus(run, step, at);
  return run;
}

/** Applies a validated update to a copy of the run: tags and metrics merge, objects replace. */
export function updatedRun(current: Run, patch: UpdateRunData, at = nowIso()): Run {
  const run: Run = structuredClone(current);
  if (patch.status !== undefined) applyStatus(run, patch.status, at);
  if (patch.name !== undefined) run.name = patch.name;
  if (patch.description !== undefined) run.description = patch.description;
  if (patch.notes !== undefined) run.notes = patch.notes;
  if (patch.hyperparameters !== undefined) run.hyperparameters = patch.hyperparameters;
  if (patch.config !== undefined) run.config = patch.config;
  if (patch.metrics !== undefined) run.metrics = { ...run.metrics, ...patch.metrics };
  if (patch.tags !== undefined) {
    for (const [key, value] of Object.entries(patch.tags)) {
      if (value === null) delete run.tags[key];
      else run.tags[key] = value;
    }
  }
  run.updatedAt = at;
  return run;
}
