/**
 * JsonStore's records: how each kind is checked when db.json or the log is read (an unreadable one
 * is kept verbatim, never lost), the in-memory slot with its serialized bytes, and the migrations
 * between db.json layouts.
 */
import { DEFAULT_EXPERIMENT_ID, RUN_FIELDS, RUN_STATUSES, SCHEMA_VERSION } from '../../../src/shared/contract/constants';
import type { Artifact, Dataset, Experiment, Run, RunStatus } from '../../../src/shared/contract/types';
import type { LoggedModel } from '../../../src/shared/contract/registry';
import type { RegistryEntry } from '../../../src/shared/models/registry';
import { AUTH_KINDS, type AuthKind, type AuthRecords } from '../../../src/shared/auth';

/** Fills what runs stored before experiments (schemaVersion < 3) or metric extremes existed lack. */
export function normalizeRun(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  if (raw.experimentId !== undefined && raw.lifecycleStage !== undefined && raw.inputs !== undefined && raw.metricExtremes !== undefined) return raw;
  const run: Record<string, unknown> = { experimentId: DEFAULT_EXPERIMENT_ID, lifecycleStage: 'active', inputs: [], metricExtremes: {}, ...raw };
  // In the API's field order when it has exactly those fields, so its pages are still sent as stored
  // (a record written before metricExtremes existed gets it after metrics; the service fills it in).
  const keys = Object.keys(run);
  if (keys.length !== RUN_FIELDS.length || !RUN_FIELDS.every((k) => Object.hasOwn(run, k))) return run;
  return Object.fromEntries(RUN_FIELDS.map((k) => [k, run[k]]));
}

export function isExperiment(value: unknown): value is Experiment {
  return isObject(value) && typeof value.id === 'string' && typeof value.name === 'string' && (value.lifecycleStage === 'active' || value.lifecycleStage === 'deleted') && isObject(value.tags);
}

export const defaultExperiment = (at: string): Experiment => ({
  id: DEFAULT_EXPERIMENT_ID,
  name: 'Default',
  artifactLocation: `mlflow-artifacts:/${DEFAULT_EXPERIMENT_ID}`,
  lifecycleStage: 'active',
  tags: {},
  createdAt: at,
  updatedAt: at,
});

export class CorruptDatabaseError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(
      `${file} cannot be read: ${reason}. ModelLab will not start on it and never overwrites it. ` +
        'To recover: restore the file from a backup or repair it by hand; or move it aside ' +
        `(mv ${file} ${file}.broken) to start with an empty database.`,
    );
    this.name = 'CorruptDatabaseError';
  }
}

/**
 * A stored record: either readable or kept verbatim (so nothing is ever lost) but unusable. A readable
 * one holds its value only: its JSON exists from the change that made it until the log entry is
 * written (jsonOf() makes it again when a snapshot or a page needs it). Keeping every record's JSON
 * beside its value doubled the memory of the runs (measured with 100,000 runs: 2.5 KB a run, half of
 * it the JSON) for flushes and pages that can as well serialize what they write.
 */
export type Slot<T> = { ok: true; value: T; json?: string } | { ok: false; raw: unknown; json: string };

/** The record's JSON: the one made with it, or made now. */
export const jsonOf = (slot: Slot<unknown>): string => slot.json ?? JSON.stringify((slot as { value: unknown }).value);

/** A copy of a readable record that shares nothing with the stored one. */
export const copyOf = <T>(slot: Slot<T>): T => JSON.parse(jsonOf(slot)) as T;

/**
 * The stored value is re-read from its own JSON: memory then holds exactly what the disk holds (the
 * same after a restart), shares nothing with the caller's object, and gets plain, fast object shapes
 * (objects built key by key from request bodies were markedly slower to search).
 */
export const readable = <T>(value: T): Extract<Slot<T>, { ok: true }> => {
  const json = JSON.stringify(value);
  return { ok: true, value: JSON.parse(json) as T, json };
};

/** A value that was itself parsed from stored JSON (db.json, the log): kept as it is, no second copy. */
export const parsedSlot = <T>(value: T): Extract<Slot<T>, { ok: true }> => ({ ok: true, value, json: undefined });

/**
 * A record read from db.json or the log, as `normalize` left its `raw` form: kept as parsed when
 * unchanged; a normalized old record is a new object, re-read for its shape.
 */
export const loadedSlot = <T>(value: T, raw: unknown): Extract<Slot<T>, { ok: true }> => (value === raw ? parsedSlot(value) : { ...readable(value), json: undefined });
export const unreadable = <T>(raw: unknown): Slot<T> => ({ ok: false, raw, json: JSON.stringify(raw) ?? 'null' });

export interface DbFile {
  schemaVersion: number;
  datasets: unknown[];
  runs: unknown[];
  artifacts?: unknown[];
  experiments?: unknown[];
  loggedModels?: unknown[];
  /** One entry per registered model: the model and its versions. */
  registeredModels?: unknown[];
  /** Users, tokens and sessions: { kind, record } each. */
  auth?: unknown[];
}

/** Migrations from version n to n + 1, applied in order on load. */
export const MIGRATIONS: Record<number, (db: DbFile) => DbFile> = {
  // 1 → 2: the write-ahead log appears; the snapshot's records are unchanged.
  1: (db) => ({ ...db, schemaVersion: 2 }),
  // 2 → 3: experiments (the Default one is added on open); runs get experimentId "0" (normalizeRun).
  2: (db) => ({ ...db, experiments: db.experiments ?? [], schemaVersion: 3 }),
  // 3 → 4: the model registry (logged models, registered models with their versions).
  3: (db) => ({ ...db, loggedModels: db.loggedModels ?? [], registeredModels: db.registeredModels ?? [], schemaVersion: 4 }),
  // 4 → 5: users, personal access tokens and browser sessions.
  4: (db) => ({ ...db, auth: db.auth ?? [], schemaVersion: 5 }),
};

/** A user, token or session as db.json and the log hold it: the record with its kind. */
export interface AuthEntry {
  kind: AuthKind;
  record: AuthRecords[AuthKind];
}

/** The map key of an auth record: its kind, then its key. */
export const authSlotKey = (kind: AuthKind, key: string) => `${kind}:${key}`;

export function isAuthEntry(value: unknown): value is AuthEntry {
  if (!isObject(value) || !AUTH_KINDS.includes(value.kind as AuthKind) || !isObject(value.record)) return false;
  const r = value.record;
  switch (value.kind as AuthKind) {
    case 'user':
      return typeof r.name === 'string' && typeof r.role === 'string' && typeof r.passwordHash === 'string';
    case 'token':
      return typeof r.id === 'string' && typeof r.user === 'string' && typeof r.secretHash === 'string';
    case 'session':
      return typeof r.id === 'string' && typeof r.user === 'string' && typeof r.csrf === 'string' && typeof r.expiresAt === 'string';
    case 'permission':
      return typeof r.id === 'string' && typeof r.user === 'string' && typeof r.objectId === 'string' && typeof r.level === 'string';
  }
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function isRun(value: unknown): value is Run {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.name === 'string' &&
    RUN_STATUSES.includes(value.status as RunStatus) &&
    typeof value.createdAt === 'string' &&
    isObject(value.tags) &&
    isObject(value.metrics) &&
    isObject(value.metricExtremes) &&
    isObject(value.hyperparameters) &&
    isObject(value.config)
  );
}

export function isArtifact(value: unknown): value is Artifact & { id: string } {
  return isObject(value) && typeof value.runId === 'string' && typeof value.path === 'string' && typeof value.sha256 === 'string';
}

export function isLoggedModel(value: unknown): value is LoggedModel {
  return isObject(value) && typeof value.id === 'string' && typeof value.name === 'string' && typeof value.experimentId === 'string' && isObject(value.tags) && isObject(value.params) && isObject(value.metrics) && Array.isArray(value.outputRuns);
}

export function isRegistryEntry(value: unknown): value is RegistryEntry {
  return (
    isObject(value) &&
    isObject(value.model) &&
    typeof value.model.name === 'string' &&
    typeof value.model.lastVersion === 'number' &&
    isObject(value.model.aliases) &&
    isObject(value.model.tags) &&
    Array.isArray(value.versions) &&
    value.versions.every((v) => isObject(v) && typeof v.version === 'number' && typeof v.source === 'string')
  );
}

export const artifactKey = (runId: string, path: string) => `${runId}/${path}`;

export function isDataset(value: unknown): value is Dataset {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.name === 'string' &&
    typeof value.version === 'number' &&
    typeof value.createdAt === 'string'
  );
}

export function parseDb(file: string, text: string): DbFile & { fromVersion: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CorruptDatabaseError(file, `it is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(parsed) || typeof parsed.schemaVersion !== 'number') {
    throw new CorruptDatabaseError(file, 'it is not a ModelLab database (no schemaVersion)');
  }
  if (parsed.schemaVersion > SCHEMA_VERSION) {
    throw new CorruptDatabaseError(
      file,
      `it was written by a newer ModelLab (schemaVersion ${parsed.schemaVersion}, this one understands up to ${SCHEMA_VERSION})`,
    );
  }
  const fromVersion = parsed.schemaVersion;
  let db = { datasets: [], runs: [], ...parsed } as unknown as DbFile;
  if (!Array.isArray(db.datasets) || !Array.isArray(db.runs)) {
    throw new CorruptDatabaseError(file, '"datasets" and "runs" must be arrays');
  }
  while (db.schemaVersion < SCHEMA_VERSION) {
    const migrate = MIGRATIONS[db.schemaVersion];
    if (!migrate) throw new CorruptDatabaseError(file, `no migration from schemaVersion ${db.schemaVersion}`);
    db = migrate(db);
  }
  return { ...db, fromVersion };
}

export function toSlots<T extends { id: string }>(
  raws: unknown[],
  check: (value: unknown) => value is T,
  entity: string,
  log: (message: string) => void,
  normalize: (raw: unknown) => unknown = (raw) => raw,
): Map<string, Slot<T>> {
  const slots = new Map<string, Slot<T>>();
  raws.forEach((raw, index) => {
    const value = normalize(raw);
    if (check(value) && !slots.has(value.id)) {
      slots.set(value.id, loadedSlot(value, raw));
      return;
    }
    const id = isObject(raw) && typeof raw.id === 'string' && !slots.has(raw.id) ? raw.id : `#unreadable-${index}`;
    log(`modellab: ${entity} record ${id} (entry ${index}) is unreadable; it is kept as is and left out of lists`);
    slots.set(id, unreadable(raw));
  });
  return slots;
}
