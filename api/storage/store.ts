/**
 * The Store interface: the domain operations every backend implements (records, searches in the
 * run filter language, lifecycle cascades, counts) and passes tests/contracts/store.ts with. Routes
 * never see it; services do. JsonStore (json/) is the embedded default.
 */
import type { FilterExpr, SortSpec } from '../../src/shared/runs/filter';
import type { Artifact, Dataset, Experiment, ExperimentInput, LifecycleStage, Run, RunStatistics, RunStatus } from '../../src/shared/contract/types';
import type { LoggedModel, ModelStage, ModelVersion, RegisteredModel, RegisteredModelInput } from '../../src/shared/contract/registry';
import type { RegistryEntry, VersionDraft } from '../../src/shared/models/registry';
import type { AuditDraft, AuditEntry, AuditFilter, AuthKind, AuthRecords, PermissionRecord, TokenRecord, UserRecord } from '../../src/shared/auth';
import type { MetricSeries } from './metricSeries';
import type { EventRelay } from '../eventBus';

export interface Page<T> {
  items: T[];
  total: number;
}

/** A page of runs: `total` counts every match unless the search was asked not to count (count: false). */
export interface RunPage<T = Run> {
  items: T[];
  /** Every match; null when not counted. */
  total: number | null;
  /** Whether matches follow this page. */
  more: boolean;
}

export interface PageOptions {
  limit: number;
  offset: number;
}

export interface RunListOptions extends PageOptions {
  status?: RunStatus;
  /** Only runs of these experiments. */
  experimentIds?: string[];
  /** Default "active": soft-deleted runs are left out unless asked for. */
  lifecycle?: LifecycleStage | 'all';
  /** Parsed filter language expression (src/shared/runs/filter.ts); a database store translates it to its query language. */
  filter?: FilterExpr;
  /** Default: newest first; several keys sort by the first, ties by the next (then newest first). */
  sort?: SortSpec | SortSpec[];
  /**
   * Default true. false: the page alone — a store whose count costs more than the page (PostgreSQL,
   * where counting hundreds of thousands of matches takes seconds) answers total: null.
   */
  count?: boolean;
}

/** What selects runs, without a page: an export's, a grouping's, searchRunIds'. */
export type RunQuery = Omit<RunListOptions, 'limit' | 'offset' | 'count'>;

/** A search's sort keys as a list (none: newest first). */
export const sortSpecsOf = (options: Pick<RunListOptions, 'sort'>): SortSpec[] => (options.sort === undefined ? [] : Array.isArray(options.sort) ? options.sort : [options.sort]);

export interface DatasetListOptions extends PageOptions {
  /** Only versions of this name. */
  name?: string;
  /** Only the newest version of each name. */
  latest?: boolean;
}

export interface LoggedModelListOptions extends PageOptions {
  experimentIds?: string[];
  /** Models a run produced or lists among its outputs. */
  runIds?: string[];
  name?: string;
  /** Any further condition on the record (the registry's filter language, compiled by the caller). */
  where?: (model: LoggedModel) => boolean;
}

/**
 * One record as `modellab migrate` copies it from one store into another: as stored, with its ids,
 * numbers and times. Kinds come in the order a copy must follow (what refers to a record after it).
 */
export type StoredRecord =
  | { kind: 'experiment'; record: Experiment }
  | { kind: 'dataset'; record: Dataset }
  | { kind: 'run'; record: Run }
  | { kind: 'loggedModel'; record: LoggedModel }
  | { kind: 'artifact'; record: Artifact }
  | { kind: 'registeredModel'; record: RegistryEntry }
  | { kind: 'user'; record: UserRecord }
  | { kind: 'token'; record: TokenRecord }
  | { kind: 'permission'; record: PermissionRecord };

/** Sessions are not among them: a browser signs in again after a move. */
export const STORED_KINDS = ['experiment', 'dataset', 'run', 'loggedModel', 'artifact', 'registeredModel', 'user', 'token', 'permission'] as const satisfies readonly StoredRecord['kind'][];

/** A new dataset version before the store numbers it and links it to its parent. */
export type DatasetDraft = Omit<Dataset, 'version' | 'parentId' | 'schemaChanges'>;

export interface Store {
  /** Which backend this is (the health check reports it). */
  readonly backend: 'json' | 'postgres';
  /** Resolves when the store can serve requests; rejects, saying why, when it cannot (a database that does not answer). */
  ping(): Promise<void>;
  /** Optional: metric series kept by the store itself (a database); without it they are files in the data folder. */
  metricSeries?(): MetricSeries;
  /** Optional: a relay of live events between the processes sharing this store (a database). */
  eventRelay?(log: (message: string) => void): Promise<EventRelay>;

  /** Optional (the JSON store, a migration's source): every readable record, kind by kind in STORED_KINDS order, oldest first. */
  records?(): Iterable<StoredRecord>;
  /**
   * Optional (a migration's target): puts a copied record in place as it is, unless the store holds
   * one with its id already (then that one stays). Returns the record the store holds now, for the
   * caller to compare with what it copied, and whether this call wrote it.
   */
  restore?(entry: StoredRecord): Promise<{ stored: StoredRecord['record']; inserted: boolean }>;

  createRun(run: Run): Promise<Run>;
  /** Throws 404 for an unknown id, 500 corrupt_record for a stored record that cannot be read. */
  getRun(id: string): Promise<Run>;
  /** Newest first; unreadable records are skipped (and logged when loaded). */
  searchRuns(options: RunListOptions): Promise<RunPage>;
  /**
   * Optional: searchRuns' page as JSON text, each run with exactly the fields of RUN_FIELDS in that
   * order (the API's presentation), so a page can be answered without parsing and re-serialising.
   */
  searchRunsJson?(options: RunListOptions): Promise<RunPage<string>>;
  /**
   * Every matching run's id in the search's order, as of one moment: a reader that then fetches the
   * runs by id (getRuns) in pieces — the CSV export — neither repeats nor misses a run when others
   * are created or deleted meanwhile, as paging by offset would.
   */
  searchRunIds(options: RunQuery): Promise<string[]>;
  /** The runs of these ids that exist and can be read, in the order given (the others left out). */
  getRuns(ids: string[]): Promise<Run[]>;
  /**
   * Optional: the runs read from records written before run.metricExtremes existed (they read as {}),
   * which the services fill from their series at start. A store that migrates its records itself
   * (PostgreSQL's migration 7) has none.
   */
  runsWithoutExtremes?(): string[];
  /** Applies `change` atomically to the current record; whatever it throws is rethrown with nothing changed. */
  updateRun(id: string, change: (current: Run) => Run): Promise<Run>;
  /**
   * Deletes the run with its artifact records and the logged models it produced (returned, so their
   * files can go too). 409 naming the versions when one of them, or the run itself, is registered.
   */
  deleteRun(id: string): Promise<{ loggedModels: string[] }>;
  /** updateRun for several runs as one change: every run changed, or (the first error rethrown) none. Ids are distinct. */
  updateRuns(ids: string[], change: (current: Run) => Run): Promise<Run[]>;
  /** deleteRun for several runs as one change: all deleted, or (404, 409) none. Ids are distinct. */
  deleteRuns(ids: string[]): Promise<{ loggedModels: string[] }>;
  /** Runs that are not soft-deleted, by status. */
  countRunsByStatus(): Promise<Record<RunStatus, number>>;
  /** Dashboard aggregates (see runStatistics.ts) over runs that are not soft-deleted. */
  runStatistics(): Promise<RunStatistics>;

  createDataset(dataset: Dataset): Promise<Dataset>;
  /**
   * Atomically adds the next version of `draft.name`: version = latest + 1, parentId = latest's id,
   * schemaChanges = diff(latest, draft). If the latest version has the same checksum, nothing is
   * added and that version is returned with deduplicated = true.
   */
  addDatasetVersion(
    draft: DatasetDraft,
    diff: (parent: Dataset, child: DatasetDraft) => Dataset['schemaChanges'],
  ): Promise<{ dataset: Dataset; deduplicated: boolean }>;
  /** The newest version of a name, or null. */
  latestDatasetVersion(name: string): Promise<Dataset | null>;
  getDataset(id: string): Promise<Dataset>;
  listDatasets(options: DatasetListOptions): Promise<Page<Dataset>>;
  updateDataset(id: string, change: (current: Dataset) => Dataset): Promise<Dataset>;
  /** Throws 409 (details: the linked runs) while a run references the dataset. */
  deleteDataset(id: string): Promise<void>;

  /** Records (or replaces) an artifact's metadata; 404 for an unknown run (or logged model: its id in `runId`). */
  putArtifact(artifact: Artifact): Promise<Artifact>;
  getArtifact(runId: string, path: string): Promise<Artifact | null>;
  /** A run's artifacts in the order they were recorded. */
  listArtifacts(runId: string): Promise<Artifact[]>;
  /** Returns false when there was none. Deleting a run deletes its artifacts' records too. */
  deleteArtifact(runId: string, path: string): Promise<boolean>;

  /** Numbers the experiment (the next integer id) and stores it; 409 when the name is taken (also by a deleted one). */
  createExperiment(input: ExperimentInput): Promise<Experiment>;
  /** 404 for an unknown id. */
  getExperiment(id: string): Promise<Experiment>;
  findExperimentByName(name: string): Promise<Experiment | null>;
  /** All experiments, by id. */
  listExperiments(): Promise<Experiment[]>;
  /** Applies `change` atomically; a rename to a taken name is 409. */
  updateExperiment(id: string, change: (current: Experiment) => Experiment): Promise<Experiment>;
  /**
   * Sets an experiment's lifecycle stage and moves its runs along in one atomic change: deleting it
   * soft-deletes its active runs, restoring it brings its deleted runs back. Throws `refuse(current)`
   * with nothing changed when it is in that stage already; 404 for an unknown id.
   */
  setExperimentLifecycle(id: string, stage: LifecycleStage, refuse: (current: Experiment) => Error): Promise<Experiment>;

  // ---- model registry (the rules: src/shared/models/registry.ts)

  /** 422 for an unknown experiment or source run; 409 for a taken id. */
  createLoggedModel(model: LoggedModel): Promise<LoggedModel>;
  getLoggedModel(id: string): Promise<LoggedModel>;
  /** Newest first. */
  searchLoggedModels(options: LoggedModelListOptions): Promise<Page<LoggedModel>>;
  updateLoggedModel(id: string, change: (current: LoggedModel) => LoggedModel): Promise<LoggedModel>;
  /** With its artifact records; 409 naming the versions registered from it. */
  deleteLoggedModel(id: string): Promise<void>;

  /** 409 when the name is taken. */
  createRegisteredModel(input: RegisteredModelInput): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /** All registered models by name, each with its versions (oldest first). */
  listRegisteredModels(): Promise<{ model: RegisteredModel; versions: ModelVersion[] }[]>;
  /** description and tags; the name, aliases and numbering have their own operations. */
  updateRegisteredModel(name: string, change: (current: RegisteredModel) => RegisteredModel): Promise<RegisteredModel>;
  /** 409 when the new name is taken; the versions follow. */
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  /** With its versions and aliases. */
  deleteRegisteredModel(name: string): Promise<void>;
  /** Numbers the version atomically (never the same number twice); 404 for an unknown model. */
  createModelVersion(name: string, draft: VersionDraft): Promise<ModelVersion>;
  getModelVersion(name: string, version: number): Promise<ModelVersion>;
  /** A model's versions, oldest first (404 for an unknown model); every model's without a name. */
  listModelVersions(name?: string): Promise<ModelVersion[]>;
  updateModelVersion(name: string, version: number, change: (current: ModelVersion) => ModelVersion): Promise<ModelVersion>;
  transitionModelVersionStage(name: string, version: number, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion>;
  /** Removes the version and the aliases that named it (returned). */
  deleteModelVersion(name: string, version: number): Promise<{ removedAliases: string[] }>;
  /** Points (or moves) an alias atomically; 404 for an unknown version. */
  setRegisteredModelAlias(name: string, alias: string, version: number): Promise<RegisteredModel>;
  /** 404 for an unknown alias. */
  deleteRegisteredModelAlias(name: string, alias: string): Promise<RegisteredModel>;

  // ---- users, personal access tokens, browser sessions (src/shared/auth)

  /** Stores a new record; 409 when its key (a user's name, a token's or session's id) is taken. */
  createAuthRecord<K extends AuthKind>(kind: K, record: AuthRecords[K]): Promise<void>;
  /** null when there is none. */
  getAuthRecord<K extends AuthKind>(kind: K, key: string): Promise<AuthRecords[K] | null>;
  /** Every record of the kind, oldest first. */
  listAuthRecords<K extends AuthKind>(kind: K): Promise<AuthRecords[K][]>;
  /** Applies `change` atomically (its key stays); 404 for an unknown key. */
  updateAuthRecord<K extends AuthKind>(kind: K, key: string, change: (current: AuthRecords[K]) => AuthRecords[K]): Promise<AuthRecords[K]>;
  /** false when there was none. Deleting a user deletes its tokens and sessions in the same change. */
  deleteAuthRecord(kind: AuthKind, key: string): Promise<boolean>;

  // ---- the audit log (users mode): append-only, kept apart from the records

  /** Appends entries, numbered in order; durable when this resolves. */
  appendAudit(entries: AuditDraft[]): Promise<void>;
  /** Newest first, filtered by exact user and action, with the number matching. */
  listAudit(filter: AuditFilter): Promise<{ items: AuditEntry[]; total: number }>;

  /** Waits for pending writes, then releases the store (and its lock). */
  close(): Promise<void>;
}
