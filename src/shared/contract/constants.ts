/** Fixed names and limits shared by the engine, the API and the UI. One place, so they cannot drift. */

export const DB_FILE = 'db.json';
/** Write-ahead log beside db.json: changes since the last snapshot, one JSON object per line. */
export const WAL_FILE = 'db.wal';
/** The JSON store's audit log (users mode), beside db.json. */
export const AUDIT_FILE = 'audit.jsonl';
export const LOCK_FILE = 'modellab.lock';
export const DATASETS_DIR = 'datasets';
export const RUNS_DIR = 'runs';
export const ARTIFACTS_DIR = 'artifacts';

/** A stored dataset file's Content-Type, by its format (downloads, and the object's type in a bucket). */
export const DATASET_CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  tsv: 'text/tab-separated-values; charset=utf-8',
  json: 'application/json; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
} as const;

export const ARTIFACT_CATEGORIES = ['checkpoints', 'plots', 'evaluations', 'reports', 'other'] as const;

/**
 * db.json layout version; bump it and add a migration in api/storage/json/ when the layout changes.
 * 2: db.wal holds the changes since the snapshot (a version-1 server would ignore it, so it must refuse).
 * 3: experiments (runs belong to one; "0" is Default), runs' lifecycleStage and inputs.
 * 4: the model registry: logged models, registered models with their versions and aliases.
 * 5: users, personal access tokens and browser sessions ("auth": one entry per record, with its kind).
 */
export const SCHEMA_VERSION = 5;
/** The experiment every run belongs to unless it says otherwise (MLflow's Default experiment). */
export const DEFAULT_EXPERIMENT_ID = '0';

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;

export const LIST_DEFAULT_LIMIT = 50;
export const LIST_MAX_LIMIT = 1000;

export const RUN_NAME_MAX = 256;
/** Per hyperparameter value, measured on its JSON text (MLflow's 500/6000 characters bite real users). */
export const HYPERPARAM_VALUE_MAX_BYTES = 64 * 1024;

export const API_BASE = '/api/modellab';
export const UI_BASE = '/modellab';

/** A run's fields in the order the API presents them (presentRun; the JSON store's pages are written in it). */
export const RUN_FIELDS = [
  'id',
  'experimentId',
  'lifecycleStage',
  'name',
  'description',
  'status',
  'datasetId',
  'hyperparameters',
  'config',
  'seed',
  'gitCommit',
  'gitBranch',
  'gitDirty',
  'tags',
  'notes',
  'metrics',
  'metricExtremes',
  'latency',
  'inputs',
  'createdAt',
  'startedAt',
  'endedAt',
  'updatedAt',
] as const;

/** Bootstrap resamples of a group's mean and of two groups' difference (GET /runs/groups, /compare/groups). */
export const GROUP_BOOTSTRAP_RESAMPLES = 2000;
