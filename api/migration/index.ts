/**
 * `modellab migrate`: copies a JSON data folder (db.json, its log, metric series and, with a bucket,
 * its files) into PostgreSQL and an S3-compatible bucket. Node only.
 *
 * - The source is never modified: db.json and db.wal are copied to a temp folder and opened there
 *   (a layout upgrade happens on the copy), the series and files are only read, and a folder a live
 *   server holds is refused (stop it first: what it writes meanwhile would not be copied).
 * - Idempotent and resumable: a record whose id the target holds already is left as it is and
 *   compared; a run's metric points go in one transaction (all or none) and a run whose series is
 *   there is compared instead; a file already in the bucket with the right checksum is not sent
 *   again. Interrupted at any point, the same command picks up where it stopped.
 * - Verified: every record is read back and compared with its source, every series' summaries too,
 *   and every file copied is read back from the bucket and its SHA-256 compared with the source's.
 *   Anything that differs is reported by name, and the command exits non-zero.
 */
import { mkdtemp, copyFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AUDIT_FILE, DATASET_CONTENT_TYPES, DB_FILE, WAL_FILE } from '../../src/shared/contract/constants';
import { contentTypeOf } from '../../src/shared/artifactPaths';
import {
  artifactsOf,
  checkDataDirUnlocked,
  datasetFolderOf,
  extremesOf,
  FolderBlobs,
  JsonStore,
  MetricSeriesStore,
  PgStore,
  type S3Blobs,
  sha256Stream,
  STORED_KINDS,
  type StoredRecord,
} from '../storage';

export type Kind = StoredRecord['kind'] | 'metricSeries' | 'auditEntry' | 'file';
export const KINDS: Kind[] = [...STORED_KINDS.slice(0, 3), 'metricSeries', ...STORED_KINDS.slice(3), 'auditEntry', 'file'];
/** Audit entries go over in batches of this many (each one INSERT). */
const AUDIT_BATCH = 50_000;

export const KIND_LABELS: Record<Kind, string> = {
  experiment: 'experiments',
  dataset: 'datasets',
  run: 'runs',
  metricSeries: 'metric series',
  loggedModel: 'logged models',
  artifact: 'artifact records',
  registeredModel: 'registered models',
  user: 'users',
  token: 'access tokens',
  permission: 'permissions',
  auditEntry: 'audit log entries',
  file: 'files',
};

export interface KindCount {
  /** Written by this run of the command. */
  copied: number;
  /** Found in the target already, identical. */
  alreadyThere: number;
  /** Found in the target with other content (kept as it is; reported). */
  differs: number;
}

export interface MigrationResult {
  counts: Record<Kind, KindCount>;
  /** What differs, by name; empty when everything was verified. */
  problems: string[];
  /** Source inconsistencies noticed on the way (e.g. a file whose recorded checksum is stale); copied as found. */
  warnings: string[];
}

export interface MigrationOptions {
  dataDir: string;
  databaseUrl: string;
  /** The bucket for artifacts and dataset files; null: they stay in the data folder. */
  blobs: S3Blobs | null;
  /** A progress line (every `progressMs`, and the totals at the end). */
  report: (line: string) => void;
  progressMs?: number;
}

const SERIES_ALL = Number.MAX_SAFE_INTEGER;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** What must match between a copied record and the target's: all of it, but a token's last use (the target may have used it since a first run). */
const comparable = (kind: StoredRecord['kind'], record: StoredRecord['record']) => (kind === 'token' ? { ...record, lastUsedAt: null } : record);

export async function migrateDataFolder(options: MigrationOptions): Promise<MigrationResult> {
  const { dataDir, report } = options;
  checkDataDirUnlocked(dataDir);
  const counts = Object.fromEntries(KINDS.map((k) => [k, { copied: 0, alreadyThere: 0, differs: 0 }])) as Record<Kind, KindCount>;
  const problems: string[] = [];
  const warnings: string[] = [];

  // Read the records from a copy: opening the store may upgrade the layout and compacts the log.
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'modellab-migrate-'));
  let source: JsonStore | null = null;
  let target: PgStore | null = null;
  const series = new MetricSeriesStore(dataDir);
  try {
    for (const file of [DB_FILE, WAL_FILE, AUDIT_FILE]) await copyFile(path.join(dataDir, file), path.join(scratch, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    source = await JsonStore.open(scratch, { log: (m) => warnings.push(m) });
    target = await PgStore.open(options.databaseUrl, { log: (m) => report(m) });
    const totals = await totalsOf(source);
    const files = new FolderBlobs(dataDir);

    let current = 'experiment' as Kind;
    let done = 0;
    const progress = setInterval(() => {
      const total = totals[current];
      report(`${KIND_LABELS[current]}: ${done.toLocaleString('en-US')}${total !== undefined ? ` of ${total.toLocaleString('en-US')}` : ''}`);
    }, options.progressMs ?? 2000);
    progress.unref();
    const start = (kind: Kind) => {
      current = kind;
      done = 0;
    };

    /** Copies one file from the data folder to the bucket unless it is there with the same bytes; verifies the copy. */
    const copyFileOnce = async (key: string, recorded: string | null, contentType: string) => {
      if (!options.blobs) return;
      const local = await files.stat(key);
      if (!local) {
        warnings.push(`${key}: recorded but missing from the data folder; not copied`);
        return;
      }
      const digest = await sha256Stream(await files.read(key));
      if (recorded !== null && recorded !== digest) warnings.push(`${key}: the recorded SHA-256 is ${recorded}, the file's is ${digest}; copied as found`);
      const there = await options.blobs.stat(key);
      if (there && there.size === local.size && (await sha256Stream(await options.blobs.read(key))) === digest) {
        counts.file.alreadyThere++;
        return;
      }
      await options.blobs.putFile(key, path.join(dataDir, ...key.split('/')), contentType);
      const copied = await sha256Stream(await options.blobs.read(key));
      if (copied !== digest) {
        counts.file.differs++;
        problems.push(`${key}: the copy in the bucket has SHA-256 ${copied}, the source ${digest}`);
      } else counts.file.copied++;
    };

    const copySeries = async (runId: string) => {
      const wanted = await series.summaries(runId);
      if (wanted.length === 0) return;
      const pg = target!.metricSeries();
      const copied = (await pg.summaries(runId)).length === 0;
      if (copied) {
        const points = [];
        for (const s of wanted) for (const p of (await series.points(runId, s.key, SERIES_ALL)) ?? []) points.push({ key: s.key, ...p });
        await pg.append(runId, points);
      }
      const byKey = (list: typeof wanted) => [...list].sort((a, b) => (a.key < b.key ? -1 : 1));
      if (same(byKey(await pg.summaries(runId)), byKey(wanted))) counts.metricSeries[copied ? 'copied' : 'alreadyThere']++;
      else {
        counts.metricSeries.differs++;
        problems.push(`metric series of run ${runId}: the target's summaries differ from the source's`);
      }
    };

    const runIds: string[] = [];
    const owners: string[] = [];
    const sent = new Set<string>();
    let seriesCopied = false;
    /** After the runs: their metric series, one run at a time. */
    const copyAllSeries = async () => {
      if (seriesCopied) return;
      seriesCopied = true;
      start('metricSeries');
      for (const id of runIds) {
        await copySeries(id);
        done++;
      }
    };
    for (const entry of source.records()) {
      if (entry.kind !== current) {
        if (current === 'run') await copyAllSeries();
        start(entry.kind);
      }
      // A file before its record: a target that has the record has the file.
      if (entry.kind === 'dataset') await copyFileOnce(datasetFolderOf(entry.record.id) + entry.record.originalFilename, entry.record.checksum, DATASET_CONTENT_TYPES[entry.record.format]);
      if (entry.kind === 'artifact') {
        const key = artifactsOf(entry.record.runId) + entry.record.path;
        await copyFileOnce(key, entry.record.sha256, contentTypeOf(entry.record.path));
        sent.add(key);
      }
      // A run from a release before run.metricExtremes: filled from its series, as the server fills its own.
      if (entry.kind === 'run' && Object.keys(entry.record.metricExtremes).length === 0 && Object.keys(entry.record.metrics).length > 0) {
        const summaries = await series.summaries(entry.record.id);
        if (summaries.length > 0) entry.record.metricExtremes = extremesOf(summaries);
      }
      const { stored, inserted } = await target.restore(entry);
      if (entry.kind === 'run') runIds.push(entry.record.id);
      if (entry.kind === 'run' || entry.kind === 'loggedModel') owners.push(entry.record.id);
      done++;
      if (same(comparable(entry.kind, stored), comparable(entry.kind, entry.record))) counts[entry.kind][inserted ? 'copied' : 'alreadyThere']++;
      else {
        counts[entry.kind].differs++;
        const name =
          entry.kind === 'artifact' ? `${entry.record.runId}/${entry.record.path}` : entry.kind === 'registeredModel' ? entry.record.model.name : entry.kind === 'user' ? entry.record.name : entry.record.id;
        problems.push(`${entry.kind} ${name}: the target holds another record under this id (kept as it is)`);
      }
    }
    await copyAllSeries();
    // The audit log, oldest first, from where the target's copy of it ends (a copy cut short goes on;
    // the entries are renumbered in the target's order, which is the source's).
    start('auditEntry');
    const auditTotal = (await source.listAudit({ limit: 1, offset: 0 })).total;
    const auditThere = (await target.listAudit({ limit: 1, offset: 0 })).total;
    if (auditThere > auditTotal) warnings.push(`the target's audit log holds ${auditThere} entries, more than the folder's ${auditTotal}: not copied`);
    else {
      counts.auditEntry.alreadyThere = auditThere;
      for (let from = auditThere; from < auditTotal; from += AUDIT_BATCH) {
        const n = Math.min(AUDIT_BATCH, auditTotal - from);
        const page = await source.listAudit({ limit: n, offset: auditTotal - from - n });
        await target.appendAudit(page.items.reverse().map(({ seq: _seq, ...entry }) => entry));
        counts.auditEntry.copied += n;
        done += n;
      }
    }
    // Files in a run's folder without a record (put there by hand, or by an older release): the
    // target records them when they are first listed, as the data folder does.
    if (options.blobs) {
      start('file');
      for (const owner of owners) {
        for (const blob of await files.list(artifactsOf(owner))) {
          if (!sent.has(blob.key)) await copyFileOnce(blob.key, null, contentTypeOf(blob.key));
          done++;
        }
      }
    }
    clearInterval(progress);
    return { counts, problems, warnings };
  } finally {
    await series.close();
    await source?.close();
    await target?.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function totalsOf(store: JsonStore): Promise<Partial<Record<Kind, number>>> {
  const runs = (await store.searchRuns({ lifecycle: 'all', limit: 0, offset: 0 })).total ?? 0; // counted: count is not false
  return {
    experiment: (await store.listExperiments()).length,
    dataset: (await store.listDatasets({ limit: 0, offset: 0 })).total,
    run: runs,
    metricSeries: runs,
    loggedModel: (await store.searchLoggedModels({ limit: 0, offset: 0 })).total,
    registeredModel: (await store.listRegisteredModels()).length,
    user: (await store.listAuthRecords('user')).length,
    token: (await store.listAuthRecords('token')).length,
    permission: (await store.listAuthRecords('permission')).length,
    auditEntry: (await store.listAudit({ limit: 1, offset: 0 })).total,
  };
}
