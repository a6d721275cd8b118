/**
 * JsonStore, the embedded Store (../store.ts): db.json in the data folder. A database-backed store
 * implements the same interface and passes the same contract suite (tests/contracts/store.ts).
 *
 * JsonStore keeps one in-memory copy and is the only writer. A mutation is a synchronous function
 * applied to that copy in arrival order (so there are no read-modify-write races), then the caller
 * waits until a flush that includes it is durable. Flushes are group commits: everything that
 * arrives while one flush runs goes into the next single flush.
 *
 * A flush appends the changed records to db.wal and fdatasyncs it; db.json is a snapshot, rewritten
 * (temp file → fsync → rename → fsync the folder) when the log has grown past the snapshot's size,
 * on close, and after replaying a log at start. Rewriting a 15 MB db.json for every group commit was
 * what limited creates/s with 10,000 runs; appending keeps a flush proportional to what changed.
 * Replaying is idempotent (each entry is a whole record or a delete), so a crash between writing a
 * snapshot and emptying the log loses nothing and duplicates nothing.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DB_FILE, DEFAULT_EXPERIMENT_ID, RUN_STATUSES, SCHEMA_VERSION, WAL_FILE } from '../../../src/shared/contract/constants';
import { acquireDataDirLock, type DataDirLock } from './dataDirLock';
import { artifactKey, type AuthEntry, authSlotKey, copyOf, CorruptDatabaseError, defaultExperiment, isArtifact, isDataset, isAuthEntry, isExperiment, isLoggedModel, isRegistryEntry, isRun, jsonOf, loadedSlot, normalizeRun, parsedSlot, parseDb, readable, type Slot, toSlots, unreadable } from './records';
import { sortSpecsOf, type DatasetDraft, type DatasetListOptions, type LoggedModelListOptions, type Page, type PageOptions, type RunListOptions, type RunPage, type RunQuery, type Store, type StoredRecord } from '../store';
import { LOGGED_MODEL_ID, type LoggedModel, type ModelStage, type ModelVersion, newRegisteredModel, type RegisteredModel, type RegisteredModelInput } from '../../../src/shared/contract/registry';
import * as registry from '../../../src/shared/models/registry';
import { RunTable, type RunWhere } from './runTable';
import { AppendLog, removeStaleTempFiles, writeFileDurable } from '../durableFile';
import { corruptRecord, notFound, conflict, unprocessable } from '../../../src/shared/errors';
import { compileColumnFilter, compileFilterFast, fieldAccessorFast, type FieldRef, type FilterContext, sortRuns } from '../../../src/shared/runs/filter';
import { runStatistics } from '../../../src/shared/runs/statistics';
import { nowIso } from '../../../src/shared/ids';
import { type Artifact, type Dataset, type Experiment, type ExperimentInput, type LifecycleStage, newExperiment, type Run, type RunStatistics, type RunStatus } from '../../../src/shared/contract/types';
import { type AuditDraft, type AuditEntry, type AuditFilter, authKeyOf, type AuthKind, authOwnerOf, type AuthRecords } from '../../../src/shared/auth';
import { AuditLog } from './auditLog';

const WAL_PUT = {
  runs: Buffer.from('{"op":"put","kind":"run","record":'),
  datasets: Buffer.from('{"op":"put","kind":"dataset","record":'),
  artifacts: Buffer.from('{"op":"put","kind":"artifact","record":'),
  experiments: Buffer.from('{"op":"put","kind":"experiment","record":'),
  loggedModels: Buffer.from('{"op":"put","kind":"loggedModel","record":'),
  registry: Buffer.from('{"op":"put","kind":"registeredModel","record":'),
  auth: Buffer.from('{"op":"put","kind":"auth","record":'),
};
const WAL_END = Buffer.from('}\n');

type WalKind = 'run' | 'dataset' | 'artifact' | 'experiment' | 'loggedModel' | 'registeredModel' | 'auth';
type WalEntry = { op: 'put'; kind: WalKind; record: unknown } | { op: 'del'; kind: WalKind; id: string };

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface JsonStoreOptions {
  log?: (message: string) => void;
  /** Rewrite the snapshot once the log exceeds this many bytes (and the snapshot's size). Default 8 MB. */
  compactBytes?: number;
}

export interface FlushStats {
  flushes: number;
  mutations: number;
  /** Duration of each of the last (up to 10,000) flushes in milliseconds. */
  recentFlushMs: number[];
}

export class JsonStore implements Store {
  readonly backend = 'json' as const;
  private runs = new RunTable();
  private datasets = new Map<string, Slot<Dataset>>();
  /** Keyed by "<runId>/<category>/<path>". */
  private artifacts = new Map<string, Slot<Artifact>>();
  private experiments = new Map<string, Slot<Experiment>>();
  private loggedModels = new Map<string, Slot<LoggedModel>>();
  /** Keyed by registered model name: the model with its versions, one record. */
  private registry = new Map<string, Slot<registry.RegistryEntry>>();
  /** Users, tokens and sessions, keyed by authSlotKey(kind, key), oldest first. */
  private auth = new Map<string, Slot<AuthEntry>>();
  private pending: Waiter[] = [];
  /** Runs read (db.json, then the log) without run.metricExtremes: see runsWithoutExtremes. */
  private readonly withoutExtremes = new Set<string>();
  /** normalizeRun, noting which runs lacked their metric extremes (the last of a run's records decides). */
  private readonly normalizeRun = (raw: unknown): unknown => {
    if (typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string') {
      const id = (raw as { id: string }).id;
      if ((raw as { metricExtremes?: unknown }).metricExtremes === undefined) this.withoutExtremes.add(id);
      else this.withoutExtremes.delete(id);
    }
    return normalizeRun(raw);
  };
  /** Log entries of the mutations applied since the last flush started. */
  private walParts: Buffer[] = [];
  private readonly wal: AppendLog;
  private snapshotBytes = 0;
  private migrated = false;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private stats: FlushStats = { flushes: 0, mutations: 0, recentFlushMs: [] };
  private readonly audit: AuditLog;

  private constructor(
    readonly dataDir: string,
    readonly file: string,
    private readonly lock: DataDirLock,
    private readonly log: (message: string) => void,
    private readonly compactBytes: number,
  ) {
    this.wal = new AppendLog(path.join(dataDir, WAL_FILE));
    this.audit = new AuditLog(dataDir);
  }

  /** Opens (creating on first use) the database in `dataDir`. Throws DataDirLockedError or CorruptDatabaseError. */
  static async open(dataDir: string, options: JsonStoreOptions = {}): Promise<JsonStore> {
    const dir = path.resolve(dataDir);
    await mkdir(dir, { recursive: true });
    const lock = acquireDataDirLock(dir);
    try {
      const store = new JsonStore(dir, path.join(dir, DB_FILE), lock, options.log ?? ((m) => console.warn(m)), options.compactBytes ?? 8 * 1024 * 1024);
      await removeStaleTempFiles(store.file);
      await store.wal.open();
      await store.audit.open();
      await store.load();
      const addedDefault = !store.experiments.has(DEFAULT_EXPERIMENT_ID);
      if (addedDefault) store.experiments.set(DEFAULT_EXPERIMENT_ID, readable(defaultExperiment(nowIso())));
      // Start from a fresh snapshot (in the current layout) and an empty log.
      if (store.wal.size > 0 || store.migrated || addedDefault) await store.compact();
      return store;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Loads the snapshot, then replays the log over it. */
  private async load(): Promise<void> {
    let text: string | null = null;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === null) {
      this.runs = new RunTable();
      this.datasets = new Map();
      this.artifacts = new Map();
      this.experiments = new Map();
      this.loggedModels = new Map();
      this.registry = new Map();
      this.auth = new Map();
      await this.writeSnapshot();
    } else {
      const db = parseDb(this.file, text);
      this.migrated = db.fromVersion !== SCHEMA_VERSION;
      this.runs = RunTable.from(toSlots(db.runs, isRun, 'run', this.log, this.normalizeRun));
      this.datasets = toSlots(db.datasets, isDataset, 'dataset', this.log);
      this.experiments = toSlots(db.experiments ?? [], isExperiment, 'experiment', this.log);
      this.loggedModels = toSlots(db.loggedModels ?? [], isLoggedModel, 'logged model', this.log);
      this.registry = new Map();
      (db.registeredModels ?? []).forEach((raw, index) => {
        if (isRegistryEntry(raw)) this.registry.set(raw.model.name, parsedSlot(raw));
        else {
          this.log(`modellab: registered model entry ${index} is unreadable; it is kept as is and left out of lists`);
          this.registry.set(`#unreadable-${index}`, unreadable(raw));
        }
      });
      this.auth = new Map();
      (db.auth ?? []).forEach((raw, index) => {
        if (isAuthEntry(raw)) this.auth.set(authSlotKey(raw.kind, authKeyOf(raw.kind, raw.record)), parsedSlot(raw));
        else {
          this.log(`modellab: user, token or session entry ${index} is unreadable; it is kept as is and not used`);
          this.auth.set(`#unreadable-${index}`, unreadable(raw));
        }
      });
      this.artifacts = new Map();
      for (const raw of db.artifacts ?? []) {
        if (isArtifact(raw)) this.artifacts.set(artifactKey(raw.runId, raw.path), parsedSlot(raw));
        else this.log('modellab: an unreadable artifact record was dropped from the index');
      }
      this.snapshotBytes = Buffer.byteLength(text);
    }
    await this.replayLog();
  }

  private async replayLog(): Promise<void> {
    if (this.wal.size === 0) return;
    const text = await readFile(this.wal.file, 'utf8');
    const complete = text.lastIndexOf('\n') + 1;
    const lines = text.slice(0, complete).split('\n');
    lines.pop(); // after the last newline
    lines.forEach((line, index) => {
      let entry: WalEntry;
      try {
        entry = JSON.parse(line) as WalEntry;
      } catch (error) {
        throw new CorruptDatabaseError(this.wal.file, `line ${index + 1} is not valid JSON (${(error as Error).message})`);
      }
      if (entry.kind === 'artifact') {
        if (entry.op === 'del') this.artifacts.delete(entry.id);
        else if (isArtifact(entry.record)) this.artifacts.set(artifactKey(entry.record.runId, entry.record.path), parsedSlot(entry.record));
        return;
      }
      if (entry.kind === 'auth') {
        if (entry.op === 'del') this.auth.delete(entry.id);
        else if (isAuthEntry(entry.record)) this.auth.set(authSlotKey(entry.record.kind, authKeyOf(entry.record.kind, entry.record.record)), parsedSlot(entry.record));
        else throw new CorruptDatabaseError(this.wal.file, `line ${index + 1} holds an unreadable user, token or session`);
        return;
      }
      if (entry.kind === 'registeredModel') {
        if (entry.op === 'del') this.registry.delete(entry.id);
        else if (isRegistryEntry(entry.record)) this.registry.set(entry.record.model.name, parsedSlot(entry.record));
        else throw new CorruptDatabaseError(this.wal.file, `line ${index + 1} holds an unreadable registered model`);
        return;
      }
      const slots = (
        entry.kind === 'run' ? this.runs : entry.kind === 'experiment' ? this.experiments : entry.kind === 'loggedModel' ? this.loggedModels : this.datasets
      ) as unknown as Pick<Map<string, Slot<Run | Dataset | Experiment | LoggedModel>>, 'set' | 'delete'>;
      if (entry.op === 'del') {
        slots.delete(entry.id);
        return;
      }
      const check = entry.kind === 'run' ? isRun : entry.kind === 'experiment' ? isExperiment : entry.kind === 'loggedModel' ? isLoggedModel : isDataset;
      const record = entry.record as { id?: unknown };
      const value = entry.kind === 'run' ? this.normalizeRun(record) : record;
      if (check(value)) slots.set(record.id as string, loadedSlot(value, record));
      else if (typeof record?.id === 'string') {
        this.log(`modellab: ${entry.kind} record ${record.id} in ${this.wal.file} is unreadable; it is kept as is and left out of lists`);
        slots.set(record.id, unreadable(record));
      } else throw new CorruptDatabaseError(this.wal.file, `line ${index + 1} holds a record without an id`);
    });
    // Bytes after the last newline are a write a crash cut short: never acknowledged, dropped.
    if (complete < this.wal.size) await this.wal.truncate(complete);
  }

  private async writeSnapshot(): Promise<void> {
    let bytes = 0;
    const chunks = this.snapshotChunks();
    await writeFileDurable(this.file, {
      chunks: (function* () {
        for (const chunk of chunks) {
          bytes += chunk.length;
          yield chunk;
        }
      })(),
    });
    this.snapshotBytes = bytes;
  }

  /** Writes a snapshot of memory and empties the log. Only called when no mutation is pending. */
  private async compact(): Promise<void> {
    await this.writeSnapshot();
    await this.wal.truncate(0);
  }

  private logPut(kind: keyof typeof WAL_PUT, slot: Slot<unknown>): void {
    this.walParts.push(WAL_PUT[kind], Buffer.from(jsonOf(slot)), WAL_END);
    // From here on the value alone (see Slot), except for the newest runs (see RunTable.isRecent).
    if (slot.ok && !(kind === 'runs' && this.runs.isRecent((slot.value as Run).id))) slot.json = undefined;
  }

  private logDelete(kind: WalKind, id: string): void {
    this.walParts.push(Buffer.from(`${JSON.stringify({ op: 'del', kind, id })}\n`));
  }

  /**
   * db.json in chunks of about 256 KB, each serialized as it is written: with 100,000 runs the whole
   * file as Buffers at once was ~130 MB more memory during every compaction, and a chunk's
   * serializing (~1 ms) is all a request arriving meanwhile waits for. The records are the
   * ones stored when this is called (the slot lists are taken now; a change replaces a slot, never
   * alters one), so the file is one consistent state even while changes go on meanwhile (those are
   * in the log that follows it).
   */
  private *snapshotChunks(): Generator<Uint8Array> {
    const CHUNK = 1 << 18;
    const sections: [string, Slot<unknown>[]][] = [
      ['datasets', [...this.datasets.values()]],
      ['runs', [...this.runs.values()]],
      ['artifacts', [...this.artifacts.values()]],
      ['experiments', [...this.experiments.values()]],
      ['loggedModels', [...this.loggedModels.values()]],
      ['registeredModels', [...this.registry.values()]],
      ['auth', [...this.auth.values()]],
    ];
    let text = `{"schemaVersion":${SCHEMA_VERSION}`;
    for (const [name, slots] of sections) {
      text += `,"${name}":[`;
      for (let i = 0; i < slots.length; i++) {
        if (i > 0) text += ',';
        text += jsonOf(slots[i]!);
        if (text.length >= CHUNK) {
          yield Buffer.from(text);
          text = '';
        }
      }
      text += ']';
    }
    yield Buffer.from(`${text}}`);
  }

  /** Applies `apply` now (synchronously, in call order) and resolves once it is durable on disk. */
  private async mutate<T>(apply: () => T): Promise<T> {
    if (this.closed) throw new Error('store is closed');
    const result = apply();
    this.stats.mutations++;
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.flushing ??= this.flushLoop();
    });
    return result;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        const parts = this.walParts;
        this.pending = [];
        this.walParts = [];
        const started = performance.now();
        const durableSize = this.wal.size;
        try {
          await this.wal.append(parts);
        } catch (error) {
          // Memory now holds changes the disk does not. Everything not yet durable fails, the log is
          // cut back to what was durable, and memory goes back to what the disk holds, so no reply
          // ever describes a state that was not saved.
          const unsaved = [...batch, ...this.pending];
          this.pending = [];
          this.walParts = [];
          this.log(`modellab: appending to ${this.wal.file} failed: ${(error as Error).message}`);
          try {
            await this.wal.truncate(durableSize);
            await this.load();
          } catch (reloadError) {
            this.log(`modellab: reload failed: ${(reloadError as Error).message}`);
          }
          for (const waiter of unsaved) waiter.reject(error);
          continue;
        }
        this.recordFlush(performance.now() - started);
        for (const waiter of batch) waiter.resolve();
        if (this.pending.length === 0 && this.wal.size > Math.max(this.compactBytes, this.snapshotBytes)) {
          try {
            await this.compact();
          } catch (error) {
            // The log still holds everything: nothing is lost, the next compaction tries again.
            this.log(`modellab: writing the snapshot ${this.file} failed: ${(error as Error).message}`);
          }
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private recordFlush(ms: number) {
    this.stats.flushes++;
    this.stats.recentFlushMs.push(ms);
    if (this.stats.recentFlushMs.length > 10_000) this.stats.recentFlushMs.shift();
  }

  flushStats(): FlushStats {
    return { ...this.stats, recentFlushMs: [...this.stats.recentFlushMs] };
  }

  private readSlot<T>(slots: Pick<Map<string, Slot<T>>, 'get'>, entity: string, id: string): T {
    const slot = slots.get(id);
    if (!slot) throw notFound(entity, id);
    if (!slot.ok) throw corruptRecord(entity, id);
    return slot.value;
  }

  /**
   * A page of the readable records `keep` accepts, newest first. Returned records are parsed from
   * their stored JSON: a copy, like structuredClone, at two thirds of its cost (measured on pages of 50 runs).
   */
  private page<T>(slots: { values(): Iterable<Slot<T>> }, options: PageOptions, keep: (value: T) => boolean = () => true): Page<T> {
    const matching: Slot<T>[] = [];
    for (const slot of slots.values()) if (slot.ok && keep(slot.value)) matching.push(slot);
    matching.reverse(); // insertion order is creation order: newest first
    return {
      items: matching.slice(options.offset, options.offset + options.limit).map((slot) => copyOf(slot)),
      total: matching.length,
    };
  }

  // ---- runs

  async createRun(run: Run): Promise<Run> {
    // The stored record is re-read from the run's JSON (readable), so it shares nothing with the
    // caller's object; two structured clones around it were a tenth of a create's time (measured).
    const slot = await this.mutate(() => {
      if (this.runs.has(run.id)) throw conflict(`run '${run.id}' already exists`);
      const experiment = this.experiments.get(run.experimentId);
      if (!experiment?.ok) throw unprocessable(`experimentId '${run.experimentId}' does not name an existing experiment`, { field: 'experimentId' });
      if (experiment.value.lifecycleStage === 'deleted') throw unprocessable(`experiment '${run.experimentId}' is deleted; restore it first`, { field: 'experimentId' });
      if (run.datasetId !== null && !this.datasets.get(run.datasetId)?.ok) {
        throw unprocessable(`datasetId '${run.datasetId}' does not name an existing dataset version`, {
          field: 'datasetId',
        });
      }
      const stored = readable(run);
      this.runs.set(run.id, stored);
      this.logPut('runs', stored);
      return stored;
    });
    return copyOf(slot);
  }

  async getRun(id: string): Promise<Run> {
    return structuredClone(this.readSlot(this.runs, 'run', id));
  }

  /** The one place runs are searched: filter, sort and page, evaluated here in memory. */
  /** (Counting costs nothing here: total is given whatever options.count says.) */
  async searchRuns(options: RunListOptions): Promise<RunPage> {
    const { positions, total } = this.searchPositions(options);
    return { items: positions.map((p) => JSON.parse(this.runs.jsonAt(p)) as Run), total, more: options.offset + positions.length < total };
  }

  async searchRunIds(options: RunQuery): Promise<string[]> {
    // One synchronous pass over the table: no change can come between its reads.
    return this.searchPositions({ ...options, limit: Number.MAX_SAFE_INTEGER, offset: 0 }).positions.map((p) => this.runs.idAt(p));
  }

  async getRuns(ids: string[]): Promise<Run[]> {
    return ids.flatMap((id) => {
      const slot = this.runs.get(id);
      return slot?.ok ? [structuredClone(slot.value)] : [];
    });
  }

  runsWithoutExtremes(): string[] {
    return [...this.withoutExtremes].filter((id) => this.runs.has(id));
  }

  async searchRunsJson(options: RunListOptions): Promise<RunPage<string>> {
    const { positions, total } = this.searchPositions(options);
    return { items: positions.map((p) => this.runs.presentedJsonAt(p)), total, more: options.offset + positions.length < total };
  }

  /** The positions (in the run table) of the page's runs, in order, and the number of matches. */
  private searchPositions(options: RunListOptions): { positions: number[]; total: number } {
    const context: FilterContext = {
      artifactLocation: (id) => {
        const slot = this.experiments.get(id);
        return slot?.ok ? slot.value.artifactLocation : undefined;
      },
    };
    // Lifecycle, experiment and status are tested by position in the table; the filter and the sort
    // keys read the field columns (MLflow's artifact_uri depends on the experiment: not kept).
    const where: RunWhere = { lifecycle: options.lifecycle ?? 'active', experimentIds: options.experimentIds ? new Set(options.experimentIds) : null, status: options.status };
    // A column's reader is generated only when the column is first built, not on every search.
    const columnOf = (field: FieldRef) =>
      field.root === 'attributes' && field.path[0] === 'artifact_uri' ? null : this.runs.column(`${field.root}\u0000${field.path.join('\u0000')}`, () => fieldAccessorFast(field, context));
    const byColumn = options.filter ? compileColumnFilter(options.filter, columnOf) : null;
    const filter = options.filter && !byColumn ? compileFilterFast(options.filter, context) : null;
    const test = byColumn ?? (filter === null ? null : (position: number) => filter(this.runs.runAt(position)));
    if (!options.sort) {
      // Newest first; only the returned records are copied.
      return this.runs.select(where, test, options);
    }
    // Newest first (ties keep that order); sort keys from the columns.
    const { positions, total } = this.runs.select(where, test);
    const specs = sortSpecsOf(options);
    const columns = new Map(specs.map((spec) => [spec.field, columnOf(spec.field)]));
    if ([...columns.values()].every((c) => c !== null)) {
      // Sort the positions themselves: the records are read only for the page returned.
      const valuesOf = (field: FieldRef) => {
        const column = columns.get(field)!;
        return (at: number) => column[positions[at]!];
      };
      const sorted = sortRuns(positions, options.sort, options.offset + options.limit, context, valuesOf);
      return { positions: sorted.slice(options.offset, options.offset + options.limit), total };
    }
    const order = new Map(positions.map((p) => [this.runs.runAt(p), p]));
    const sorted = sortRuns([...order.keys()], options.sort, options.offset + options.limit, context);
    return { positions: sorted.slice(options.offset, options.offset + options.limit).map((run) => order.get(run)!), total };
  }

  /** Replaces a record with `change(copy of it)` (keeping its id), logged and durable. */
  private async replace<T extends { id: string }>(kind: 'runs' | 'datasets', id: string, change: (current: T) => T): Promise<T> {
    const slots = this[kind] as unknown as Pick<Map<string, Slot<T>>, 'get' | 'set'>;
    const slot = await this.mutate(() => {
      const next = change(structuredClone(this.readSlot(slots, kind === 'runs' ? 'run' : 'dataset', id)));
      const stored = readable({ ...next, id });
      slots.set(id, stored);
      this.logPut(kind, stored);
      return stored;
    });
    return copyOf(slot);
  }

  async updateRun(id: string, change: (current: Run) => Run): Promise<Run> {
    return this.replace('runs', id, change);
  }

  async updateRuns(ids: string[], change: (current: Run) => Run): Promise<Run[]> {
    const slots = await this.mutate(() => {
      // Every change is computed before any is applied: a throw leaves every run as it was.
      const next = ids.map((id) => readable({ ...change(structuredClone(this.readSlot(this.runs, 'run', id))), id }));
      for (const stored of next) {
        this.runs.set(stored.value.id, stored);
        this.logPut('runs', stored);
      }
      return next;
    });
    return slots.map(copyOf);
  }

  async deleteRun(id: string): Promise<{ loggedModels: string[] }> {
    return this.deleteRuns([id]);
  }

  async deleteRuns(ids: string[]): Promise<{ loggedModels: string[] }> {
    return this.mutate(() => {
      const unknown = ids.find((id) => !this.runs.has(id));
      if (unknown !== undefined) throw notFound('run', unknown);
      const gone = new Set(ids);
      const produced = new Set<string>();
      for (const slot of this.loggedModels.values()) if (slot.ok && slot.value.sourceRunId !== null && gone.has(slot.value.sourceRunId)) produced.add(slot.value.id);
      registry.refuseRegistered(ids.length === 1 ? `Run '${ids[0]}'` : `Runs ${ids.join(', ')}`, this.versionsWhere((v) => (v.runId !== null && gone.has(v.runId)) || (v.modelId !== null && produced.has(v.modelId))));
      for (const id of ids) {
        this.runs.delete(id);
        this.logDelete('run', id);
        this.dropArtifactRecords(id);
      }
      for (const modelId of produced) {
        this.loggedModels.delete(modelId);
        this.logDelete('loggedModel', modelId);
        this.dropArtifactRecords(modelId);
      }
      return { loggedModels: [...produced] };
    });
  }

  /** Deletes the artifact records of a run or logged model (inside a mutation). */
  private dropArtifactRecords(ownerId: string): void {
    for (const [key, slot] of this.artifacts) {
      if (slot.ok && slot.value.runId === ownerId) {
        this.artifacts.delete(key);
        this.logDelete('artifact', key);
      }
    }
  }

  private versionsWhere(test: (v: ModelVersion) => boolean): ModelVersion[] {
    const out: ModelVersion[] = [];
    for (const slot of this.registry.values()) if (slot.ok) for (const v of slot.value.versions) if (test(v)) out.push(v);
    return out;
  }

  async runStatistics(): Promise<RunStatistics> {
    const runs = (function* (slots: RunTable) {
      for (const slot of slots.values()) if (slot.ok && slot.value.lifecycleStage === 'active') yield slot.value;
    })(this.runs);
    return runStatistics(runs);
  }

  async countRunsByStatus(): Promise<Record<RunStatus, number>> {
    const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
    for (const slot of this.runs.values()) if (slot.ok && slot.value.lifecycleStage === 'active') counts[slot.value.status]++;
    return counts;
  }

  // ---- datasets

  async createDataset(dataset: Dataset): Promise<Dataset> {
    const stored = structuredClone(dataset);
    await this.mutate(() => {
      if (this.datasets.has(dataset.id)) throw conflict(`dataset '${dataset.id}' already exists`);
      const slot = readable(stored);
      this.datasets.set(dataset.id, slot);
      this.logPut('datasets', slot);
    });
    return structuredClone(stored);
  }

  private latestOf(name: string): Dataset | null {
    let latest: Dataset | null = null;
    for (const slot of this.datasets.values()) {
      if (slot.ok && slot.value.name === name && (!latest || slot.value.version > latest.version)) latest = slot.value;
    }
    return latest;
  }

  async addDatasetVersion(
    draft: DatasetDraft,
    diff: (parent: Dataset, child: DatasetDraft) => Dataset['schemaChanges'],
  ): Promise<{ dataset: Dataset; deduplicated: boolean }> {
    const latest = this.latestOf(draft.name);
    if (latest && latest.checksum === draft.checksum) return { dataset: structuredClone(latest), deduplicated: true };
    const result = await this.mutate(() => {
      const parent = this.latestOf(draft.name);
      // Checked again in order: an identical upload may have been stored since the check above.
      if (parent && parent.checksum === draft.checksum) return { dataset: parent, deduplicated: true };
      if (this.datasets.has(draft.id)) throw conflict(`dataset '${draft.id}' already exists`);
      const dataset: Dataset = structuredClone({
        ...draft,
        version: parent ? parent.version + 1 : 1,
        parentId: parent ? parent.id : null,
        schemaChanges: parent ? diff(parent, draft) : null,
      });
      const slot = readable(dataset);
      this.datasets.set(dataset.id, slot);
      this.logPut('datasets', slot);
      return { dataset, deduplicated: false };
    });
    return { dataset: structuredClone(result.dataset), deduplicated: result.deduplicated };
  }

  async latestDatasetVersion(name: string): Promise<Dataset | null> {
    const latest = this.latestOf(name);
    return latest ? structuredClone(latest) : null;
  }

  async getDataset(id: string): Promise<Dataset> {
    return structuredClone(this.readSlot(this.datasets, 'dataset', id));
  }

  async listDatasets(options: DatasetListOptions): Promise<Page<Dataset>> {
    let newest: Map<string, number> | null = null;
    if (options.latest) {
      newest = new Map();
      for (const slot of this.datasets.values()) {
        if (slot.ok && (newest.get(slot.value.name) ?? 0) < slot.value.version) newest.set(slot.value.name, slot.value.version);
      }
    }
    return this.page(
      this.datasets,
      options,
      (d) => (options.name === undefined || d.name === options.name) && (newest === null || newest.get(d.name) === d.version),
    );
  }

  async updateDataset(id: string, change: (current: Dataset) => Dataset): Promise<Dataset> {
    return this.replace('datasets', id, change);
  }

  async deleteDataset(id: string): Promise<void> {
    await this.mutate(() => {
      if (!this.datasets.has(id)) throw notFound('dataset', id);
      const users: { id: string; name: string }[] = [];
      for (const slot of this.runs.values()) if (slot.ok && slot.value.datasetId === id) users.push({ id: slot.value.id, name: slot.value.name });
      if (users.length > 0) {
        const names = users.slice(0, 10).map((r) => `'${r.name}' (${r.id})`).join(', ');
        throw conflict(`Dataset '${id}' is linked to ${users.length} run(s): ${names}${users.length > 10 ? ', …' : ''}; delete or relink them first`, { runs: users });
      }
      this.datasets.delete(id);
      this.logDelete('dataset', id);
    });
  }

  // ---- artifacts

  *records(): Iterable<StoredRecord> {
    for (const slot of this.experiments.values()) if (slot.ok) yield { kind: 'experiment', record: copyOf(slot) };
    for (const slot of this.datasets.values()) if (slot.ok) yield { kind: 'dataset', record: copyOf(slot) };
    for (const slot of this.runs.values()) if (slot.ok) yield { kind: 'run', record: copyOf(slot) };
    for (const slot of this.loggedModels.values()) if (slot.ok) yield { kind: 'loggedModel', record: copyOf(slot) };
    for (const slot of this.artifacts.values()) if (slot.ok) yield { kind: 'artifact', record: copyOf(slot) };
    for (const slot of this.registry.values()) if (slot.ok) yield { kind: 'registeredModel', record: copyOf(slot) };
    for (const kind of ['user', 'token', 'permission'] as const) {
      for (const slot of this.auth.values()) if (slot.ok && slot.value.kind === kind) yield { kind, record: copyOf(slot).record } as StoredRecord;
    }
  }

  async putArtifact(artifact: Artifact): Promise<Artifact> {
    const slot = await this.mutate(() => {
      if (LOGGED_MODEL_ID.test(artifact.runId)) this.readSlot(this.loggedModels, 'logged model', artifact.runId);
      else this.readSlot(this.runs, 'run', artifact.runId);
      const stored = readable(artifact);
      this.artifacts.set(artifactKey(artifact.runId, artifact.path), stored);
      this.logPut('artifacts', stored);
      return stored;
    });
    return copyOf(slot);
  }

  async getArtifact(runId: string, path: string): Promise<Artifact | null> {
    const slot = this.artifacts.get(artifactKey(runId, path));
    return slot?.ok ? structuredClone(slot.value) : null;
  }

  async listArtifacts(runId: string): Promise<Artifact[]> {
    const out: Artifact[] = [];
    for (const slot of this.artifacts.values()) if (slot.ok && slot.value.runId === runId) out.push(structuredClone(slot.value));
    return out;
  }

  async deleteArtifact(runId: string, path: string): Promise<boolean> {
    return this.mutate(() => {
      const key = artifactKey(runId, path);
      if (!this.artifacts.delete(key)) return false;
      this.logDelete('artifact', key);
      return true;
    });
  }

  // ---- experiments

  async createExperiment(input: ExperimentInput): Promise<Experiment> {
    const slot = await this.mutate(() => {
      this.refuseTakenName(input.name, null);
      let next = 0;
      for (const id of this.experiments.keys()) if (/^\d+$/.test(id)) next = Math.max(next, Number(id) + 1);
      const id = String(next);
      const at = nowIso();
      const stored = readable<Experiment>(newExperiment(id, input, at));
      this.experiments.set(id, stored);
      this.logPut('experiments', stored);
      return stored;
    });
    return copyOf(slot);
  }

  /** 409 when another experiment (deleted ones too) has this name. */
  private refuseTakenName(name: string, exceptId: string | null): void {
    for (const other of this.experiments.values()) {
      if (other.ok && other.value.id !== exceptId && other.value.name === name) throw conflict(`Experiment '${name}' already exists.`, { id: other.value.id });
    }
  }

  async getExperiment(id: string): Promise<Experiment> {
    return structuredClone(this.readSlot(this.experiments, 'experiment', id));
  }

  async findExperimentByName(name: string): Promise<Experiment | null> {
    for (const slot of this.experiments.values()) if (slot.ok && slot.value.name === name) return structuredClone(slot.value);
    return null;
  }

  async listExperiments(): Promise<Experiment[]> {
    const items: Experiment[] = [];
    for (const slot of this.experiments.values()) if (slot.ok) items.push(structuredClone(slot.value));
    return items.sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
  }

  async updateExperiment(id: string, change: (current: Experiment) => Experiment): Promise<Experiment> {
    const slot = await this.mutate(() => {
      const next = { ...change(structuredClone(this.readSlot(this.experiments, 'experiment', id))), id };
      this.refuseTakenName(next.name, id);
      const stored = readable(next);
      this.experiments.set(id, stored);
      this.logPut('experiments', stored);
      return stored;
    });
    return copyOf(slot);
  }

  async setExperimentLifecycle(id: string, stage: LifecycleStage, refuse: (current: Experiment) => Error): Promise<Experiment> {
    const slot = await this.mutate(() => {
      const current = this.readSlot(this.experiments, 'experiment', id);
      if (current.lifecycleStage === stage) throw refuse(structuredClone(current));
      const at = nowIso();
      const stored = readable<Experiment>({ ...current, lifecycleStage: stage, updatedAt: at });
      this.experiments.set(id, stored);
      this.logPut('experiments', stored);
      const from: LifecycleStage = stage === 'deleted' ? 'active' : 'deleted';
      for (const [runId, run] of this.runs) {
        if (!run.ok || run.value.experimentId !== id || run.value.lifecycleStage !== from) continue;
        const moved = readable<Run>({ ...run.value, lifecycleStage: stage, updatedAt: at });
        this.runs.set(runId, moved);
        this.logPut('runs', moved);
      }
      return stored;
    });
    return copyOf(slot);
  }

  // ---- logged models

  async createLoggedModel(model: LoggedModel): Promise<LoggedModel> {
    const slot = await this.mutate(() => {
      if (this.loggedModels.has(model.id)) throw conflict(`logged model '${model.id}' already exists`);
      const experiment = this.experiments.get(model.experimentId);
      if (!experiment?.ok) throw unprocessable(`experimentId '${model.experimentId}' does not name an existing experiment`, { field: 'experimentId' });
      if (model.sourceRunId !== null && !this.runs.get(model.sourceRunId)?.ok) throw unprocessable(`run '${model.sourceRunId}' does not exist`, { field: 'sourceRunId' });
      const stored = readable(model);
      this.loggedModels.set(model.id, stored);
      this.logPut('loggedModels', stored);
      return stored;
    });
    return copyOf(slot);
  }

  async getLoggedModel(id: string): Promise<LoggedModel> {
    return structuredClone(this.readSlot(this.loggedModels, 'logged model', id));
  }

  async searchLoggedModels(options: LoggedModelListOptions): Promise<Page<LoggedModel>> {
    const experiments = options.experimentIds && options.experimentIds.length > 0 ? new Set(options.experimentIds) : null;
    const runs = options.runIds ? new Set(options.runIds) : null;
    return this.page(
      this.loggedModels,
      options,
      (m) =>
        (experiments === null || experiments.has(m.experimentId)) &&
        (runs === null || (m.sourceRunId !== null && runs.has(m.sourceRunId)) || m.outputRuns.some((o) => runs.has(o.runId))) &&
        (options.name === undefined || m.name === options.name) &&
        (options.where === undefined || options.where(m)),
    );
  }

  async updateLoggedModel(id: string, change: (current: LoggedModel) => LoggedModel): Promise<LoggedModel> {
    const slot = await this.mutate(() => {
      const current = this.readSlot(this.loggedModels, 'logged model', id);
      const stored = readable<LoggedModel>({ ...change(structuredClone(current)), id, experimentId: current.experimentId, createdAt: current.createdAt });
      this.loggedModels.set(id, stored);
      this.logPut('loggedModels', stored);
      return stored;
    });
    return copyOf(slot);
  }

  async deleteLoggedModel(id: string): Promise<void> {
    await this.mutate(() => {
      this.readSlot(this.loggedModels, 'logged model', id);
      registry.refuseRegistered(`Logged model '${id}'`, this.versionsWhere((v) => v.modelId === id));
      this.loggedModels.delete(id);
      this.logDelete('loggedModel', id);
      this.dropArtifactRecords(id);
    });
  }

  // ---- registered models and versions

  private entry(name: string): registry.RegistryEntry {
    const slot = this.registry.get(name);
    if (!slot?.ok) throw registry.unknownRegistered(name);
    return slot.value;
  }

  /** Replaces an entry (under a new key when renamed) inside a mutation. */
  private putEntry(entry: registry.RegistryEntry, previousName = entry.model.name): registry.RegistryEntry {
    if (previousName !== entry.model.name) {
      this.registry.delete(previousName);
      this.logDelete('registeredModel', previousName);
    }
    const slot = readable(entry);
    this.registry.set(entry.model.name, slot);
    this.logPut('registry', slot);
    return slot.value;
  }

  /** Applies a registry rule to one entry atomically; returns what the rule returns, copied. */
  private async changeEntry<T>(name: string, rule: (entry: registry.RegistryEntry, at: string) => { entry: registry.RegistryEntry; result: T }): Promise<T> {
    const result = await this.mutate(() => {
      const out = rule(structuredClone(this.entry(name)), nowIso());
      this.putEntry(out.entry, name);
      return out.result;
    });
    return structuredClone(result);
  }

  async createRegisteredModel(input: RegisteredModelInput): Promise<RegisteredModel> {
    const entry = await this.mutate(() => {
      if (this.registry.has(input.name)) throw conflict(`Registered model '${input.name}' already exists.`, { name: input.name });
      return this.putEntry({ model: newRegisteredModel(input, nowIso()), versions: [] });
    });
    return structuredClone(entry.model);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return structuredClone(this.entry(name).model);
  }

  async listRegisteredModels(): Promise<{ model: RegisteredModel; versions: ModelVersion[] }[]> {
    const out: registry.RegistryEntry[] = [];
    for (const slot of this.registry.values()) if (slot.ok) out.push(slot.value);
    return structuredClone(out.sort((a, b) => (a.model.name < b.model.name ? -1 : a.model.name > b.model.name ? 1 : 0)));
  }

  async updateRegisteredModel(name: string, change: (current: RegisteredModel) => RegisteredModel): Promise<RegisteredModel> {
    return this.changeEntry(name, (entry, at) => {
      const next = change(entry.model);
      const model: RegisteredModel = { ...entry.model, description: next.description, tags: next.tags, updatedAt: at };
      return { entry: { model, versions: entry.versions }, result: model };
    });
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return this.changeEntry(name, (entry, at) => {
      if (newName !== name && this.registry.has(newName)) throw conflict(`Registered model '${newName}' already exists.`, { name: newName });
      const renamed = registry.renameEntry(entry, newName, at);
      return { entry: renamed, result: renamed.model };
    });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.mutate(() => {
      this.entry(name);
      this.registry.delete(name);
      this.logDelete('registeredModel', name);
    });
  }

  async createModelVersion(name: string, draft: registry.VersionDraft): Promise<ModelVersion> {
    return this.changeEntry(name, (entry, at) => {
      if (draft.runId !== null && !this.runs.get(draft.runId)?.ok) throw registry.sourceMissing(`run '${draft.runId}' does not exist`);
      if (draft.modelId !== null && !this.loggedModels.get(draft.modelId)?.ok) throw registry.sourceMissing(`logged model '${draft.modelId}' does not exist`);
      const out = registry.addVersion(entry, draft, at);
      return { entry: out.entry, result: out.version };
    });
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return structuredClone(registry.findVersion(this.entry(name), version));
  }

  async listModelVersions(name?: string): Promise<ModelVersion[]> {
    if (name !== undefined) return structuredClone(this.entry(name).versions);
    return structuredClone(this.versionsWhere(() => true));
  }

  async updateModelVersion(name: string, version: number, change: (current: ModelVersion) => ModelVersion): Promise<ModelVersion> {
    return this.changeEntry(name, (entry, at) => {
      // The stage moves through transitionModelVersionStage only (it may archive other versions).
      const out = registry.changeVersion(entry, version, (current) => ({ ...change(current), stage: current.stage }), at);
      return { entry: out.entry, result: out.version };
    });
  }

  async transitionModelVersionStage(name: string, version: number, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
    return this.changeEntry(name, (entry, at) => {
      const out = registry.transitionStage(entry, version, stage, archiveExisting, at);
      return { entry: out.entry, result: out.version };
    });
  }

  async deleteModelVersion(name: string, version: number): Promise<{ removedAliases: string[] }> {
    return this.changeEntry(name, (entry, at) => {
      const out = registry.removeVersion(entry, version, at);
      return { entry: out.entry, result: { removedAliases: out.removedAliases } };
    });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: number): Promise<RegisteredModel> {
    return this.changeEntry(name, (entry, at) => {
      const next = registry.setAlias(entry, alias, version, at);
      return { entry: next, result: next.model };
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<RegisteredModel> {
    return this.changeEntry(name, (entry, at) => {
      const next = registry.deleteAlias(entry, alias, at);
      return { entry: next, result: next.model };
    });
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the store is closed');
  }

  // ---- users, tokens, sessions

  private putAuth<K extends AuthKind>(kind: K, record: AuthRecords[K]): void {
    const slot = readable<AuthEntry>({ kind, record });
    this.auth.set(authSlotKey(kind, authKeyOf(kind, record)), slot);
    this.logPut('auth', slot);
  }

  async createAuthRecord<K extends AuthKind>(kind: K, record: AuthRecords[K]): Promise<void> {
    await this.mutate(() => {
      const key = authKeyOf(kind, record);
      if (this.auth.has(authSlotKey(kind, key))) throw conflict(`${kind} '${key}' already exists`, { kind, key });
      this.putAuth(kind, record);
    });
  }

  async getAuthRecord<K extends AuthKind>(kind: K, key: string): Promise<AuthRecords[K] | null> {
    const slot = this.auth.get(authSlotKey(kind, key));
    return slot?.ok ? (copyOf(slot).record as AuthRecords[K]) : null;
  }

  async listAuthRecords<K extends AuthKind>(kind: K): Promise<AuthRecords[K][]> {
    const out: AuthRecords[K][] = [];
    for (const slot of this.auth.values()) if (slot.ok && slot.value.kind === kind) out.push(copyOf(slot).record as AuthRecords[K]);
    return out;
  }

  async updateAuthRecord<K extends AuthKind>(kind: K, key: string, change: (current: AuthRecords[K]) => AuthRecords[K]): Promise<AuthRecords[K]> {
    return this.mutate(() => {
      const slot = this.auth.get(authSlotKey(kind, key));
      if (!slot?.ok) throw notFound(kind, key);
      const next = change(copyOf(slot).record as AuthRecords[K]);
      if (authKeyOf(kind, next) !== key) throw new Error(`an update of ${kind} '${key}' may not change its key`);
      this.putAuth(kind, next);
      return JSON.parse(JSON.stringify(next)) as AuthRecords[K];
    });
  }

  async deleteAuthRecord(kind: AuthKind, key: string): Promise<boolean> {
    return this.mutate(() => {
      const gone = [authSlotKey(kind, key)];
      if (!this.auth.has(gone[0]!)) return false;
      if (kind === 'user') {
        for (const [slotKey, slot] of this.auth) if (slot.ok && slot.value.kind !== 'user' && authOwnerOf<AuthKind>(slot.value.kind, slot.value.record) === key) gone.push(slotKey);
      }
      for (const slotKey of gone) {
        this.auth.delete(slotKey);
        this.logDelete('auth', slotKey);
      }
      return true;
    });
  }

  appendAudit(entries: AuditDraft[]): Promise<void> {
    return this.audit.append(entries);
  }

  listAudit(filter: AuditFilter): Promise<{ items: AuditEntry[]; total: number }> {
    return this.audit.list(filter);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing.catch(() => undefined);
    try {
      // A clean stop leaves a snapshot with everything and an empty log.
      if (this.wal.size > 0) await this.compact();
    } catch (error) {
      this.log(`modellab: writing the snapshot on close failed (the log keeps the changes): ${(error as Error).message}`);
    } finally {
      await this.wal.close();
      await this.audit.close().catch((error: Error) => this.log(`modellab: closing the audit log failed: ${error.message}`));
      this.lock.release();
    }
  }
}
