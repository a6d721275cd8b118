/**
 * Metric time series: one append-only JSON Lines file per run (runs/<id>/metrics.jsonl), never in
 * db.json. Appends are durable before they are acknowledged (write + fdatasync), applied in arrival
 * order, and group-committed per file. A torn last line (a crash mid-write; never acknowledged) is
 * ignored when reading and cut off before the next append. NaN and the infinities (MLflow's client
 * logs them) are written as the strings "NaN", "Infinity", "-Infinity", which JSON can hold. Node only.
 */
import { mkdir, open, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RUNS_DIR } from '../../src/shared/contract/constants';
import { badRequest } from '../../src/shared/errors';
import type { MetricExtreme, MetricSummary } from '../../src/shared/contract/types';
import { toMetricValue } from '../../src/shared/contract/registry';

export type { MetricSummary };

export const METRICS_FILE = 'metrics.jsonl';

export interface MetricInput {
  key: string;
  value: number;
  step?: number | undefined;
  timestamp?: number | undefined;
}

export interface MetricPoint {
  step: number;
  value: number;
  timestamp: number;
}


/**
 * Where a run's metric series live: files in the data folder (MetricSeriesStore, the default) or
 * the database (PgMetricSeries, with the PostgreSQL store, so that every process sees every point).
 */
export interface MetricSeries {
  /** Appends points (step defaults to the key's last step + 1, timestamp to now), durable when this resolves. */
  append(runId: string, inputs: MetricInput[], now?: number): Promise<{ stored: number; summaries: MetricSummary[] }>;
  /**
   * The same, only while the store holds the run (null, nothing written, when it does not): a series
   * kept beside the records checks in the statement that appends, instead of a read before it.
   */
  appendToRun?(runId: string, inputs: MetricInput[], now?: number): Promise<{ stored: number; summaries: MetricSummary[] } | null>;
  summaries(runId: string): Promise<MetricSummary[]>;
  /** The points of one key ordered by step (arrival order within a step), at most maxPoints of them; null for an unknown key. */
  points(runId: string, key: string, maxPoints: number): Promise<MetricPoint[] | null>;
  remove(runId: string): Promise<void>;
  close(): Promise<void>;
}

/** A summary's extremes as the run keeps them (run.metricExtremes): null until a finite value was logged. */
export const extremeOf = (s: MetricSummary): MetricExtreme => ({ min: Number.isFinite(s.min) ? s.min : null, max: Number.isFinite(s.max) ? s.max : null });

/** Each summary's key with its extremes (what run.metricExtremes holds for the keys logged). */
export const extremesOf = (summaries: MetricSummary[]): Record<string, MetricExtreme> => Object.fromEntries(summaries.map((s) => [s.key, extremeOf(s)]));

/** A key's summary before its first point is added (min +∞ and max −∞ until a finite value comes). */
export const newSummary = (key: string, value: number, step: number, timestamp: number): MetricSummary => ({
  key,
  last: value,
  lastStep: step,
  lastTimestamp: timestamp,
  min: Infinity,
  max: -Infinity,
  count: 0,
  nonFinite: 0,
});

/** Adds one point, in arrival order, to its key's summary (both series stores keep summaries this way). */
export function addToSummary(s: MetricSummary, value: number, step: number, timestamp: number): void {
  s.count++;
  if (!Number.isFinite(value)) s.nonFinite++;
  else {
    if (value < s.min) s.min = value;
    if (value > s.max) s.max = value;
  }
  // The latest value is the one at the largest step; a later point at the same step replaces it.
  if (step >= s.lastStep) {
    s.lastStep = step;
    s.last = value;
    s.lastTimestamp = timestamp;
  }
}

/** All points of one key, in arrival order (sorted by step when read). */
interface KeySeries {
  steps: number[];
  values: number[];
  timestamps: number[];
  summary: MetricSummary;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The open series of one run: its points in memory and its file. */
class RunSeries {
  keys = new Map<string, KeySeries>();
  points = 0;
  private handle: FileHandle | null = null;
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | null = null;

  constructor(readonly file: string) {}

  /** Reads the file (ignoring a torn last line) into memory. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const end = text.lastIndexOf('\n') + 1; // anything after the last newline is a torn write
    let start = 0;
    while (start < end) {
      const nl = text.indexOf('\n', start);
      const line = text.slice(start, nl);
      start = nl + 1;
      if (!line) continue;
      try {
        const p = JSON.parse(line) as { k: string; v: number | string; s: number; t: number };
        this.add(p.k, typeof p.v === 'string' ? Number(p.v) : p.v, p.s, p.t);
      } catch {
        /* a damaged line in the middle: skip it rather than lose the rest */
      }
    }
  }

  add(key: string, value: number, step: number, timestamp: number): void {
    let series = this.keys.get(key);
    if (!series) {
      series = { steps: [], values: [], timestamps: [], summary: newSummary(key, value, step, timestamp) };
      this.keys.set(key, series);
    }
    series.steps.push(step);
    series.values.push(value);
    series.timestamps.push(timestamp);
    addToSummary(series.summary, value, step, timestamp);
    this.points++;
  }

  /** Appends lines and resolves once they are durable. */
  append(lines: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push(lines);
      this.waiters.push({ resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  private async openForAppend(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    await mkdir(path.dirname(this.file), { recursive: true });
    const handle = await open(this.file, 'a+');
    // Cut off a torn last line left by a crash, so new lines do not glue onto it.
    const { size } = await handle.stat();
    if (size > 0) {
      const tail = Buffer.alloc(Math.min(size, 64 * 1024));
      await handle.read(tail, 0, tail.length, size - tail.length);
      const nl = tail.lastIndexOf(10);
      if (nl !== tail.length - 1) await handle.truncate(nl < 0 ? size - tail.length : size - tail.length + nl + 1);
    }
    this.handle = handle;
    return handle;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const text = this.pending.join('');
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        try {
          const handle = await this.openForAppend();
          await handle.write(text);
          await handle.datasync();
          for (const w of waiters) w.resolve();
        } catch (error) {
          for (const w of waiters) w.reject(error);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.handle?.close();
    this.handle = null;
  }
}

/** Keeps at most this many points in memory across runs; least recently used runs are dropped first. */
const CACHED_POINTS = 5_000_000;
/**
 * And at most this many runs' series open (each holds a file handle): a server that logged to
 * thousands of runs since it started would otherwise run out of file descriptors (EMFILE under the
 * common limit of 1,024) and fail every request that opens a file.
 */
export const MAX_OPEN_SERIES = 256;

export class MetricSeriesStore implements MetricSeries {
  private readonly root: string;
  private open = new Map<string, Promise<RunSeries>>();
  /** One mutation at a time per run, in arrival order (defaults depend on what came before). */
  private chains = new Map<string, Promise<unknown>>();

  constructor(dataDir: string) {
    this.root = path.join(dataDir, RUNS_DIR);
  }

  private folderOf(runId: string): string {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(runId)) throw badRequest(`invalid run id '${runId}'`);
    return path.join(this.root, runId);
  }

  private series(runId: string): Promise<RunSeries> {
    let entry = this.open.get(runId);
    if (entry) {
      this.open.delete(runId); // re-insert: most recently used last
      this.open.set(runId, entry);
      return entry;
    }
    entry = (async () => {
      const series = new RunSeries(path.join(this.folderOf(runId), METRICS_FILE));
      await series.load();
      return series;
    })();
    this.open.set(runId, entry);
    entry.catch(() => this.open.delete(runId));
    void this.evict();
    return entry;
  }

  private async evict(): Promise<void> {
    let total = 0;
    const loaded: [string, RunSeries][] = [];
    for (const [id, p] of this.open) {
      const s = await p.catch(() => null);
      if (s) {
        total += s.points;
        loaded.push([id, s]);
      }
    }
    let open = loaded.length;
    for (const [id, s] of loaded) {
      if ((total <= CACHED_POINTS && open <= MAX_OPEN_SERIES) || open <= 1) break;
      if (this.chains.has(id)) continue;
      this.open.delete(id);
      total -= s.points;
      open--;
      await s.close();
    }
  }

  private serialize<T>(runId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(runId) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tracked = next.finally(() => {
      if (this.chains.get(runId) === tracked) this.chains.delete(runId);
    });
    this.chains.set(runId, tracked);
    return next;
  }

  /**
   * Appends points (step defaults to the key's last step + 1, timestamp to now) and resolves once
   * they are durable. Returns the stored points and the summaries of the keys touched.
   */
  append(runId: string, inputs: MetricInput[], now = Date.now()): Promise<{ stored: number; summaries: MetricSummary[] }> {
    return this.serialize(runId, async () => {
      const series = await this.series(runId);
      let lines = '';
      const touched = new Set<string>();
      const nextStep = new Map<string, number>();
      // Each key's JSON once per batch (a batch repeats a few keys; stringifying each point's was a tenth of a request).
      const quoted = new Map<string, string>();
      for (const p of inputs) {
        const known = nextStep.get(p.key) ?? (series.keys.has(p.key) ? series.keys.get(p.key)!.summary.lastStep + 1 : 0);
        const step = p.step ?? known;
        nextStep.set(p.key, Math.max(known, step + 1));
        const timestamp = p.timestamp ?? now;
        const value = Number.isFinite(p.value) ? String(p.value) : `"${toMetricValue(p.value)}"`;
        let key = quoted.get(p.key);
        if (key === undefined) quoted.set(p.key, (key = JSON.stringify(p.key)));
        lines += `{"k":${key},"v":${value},"s":${step},"t":${timestamp}}\n`;
        p.step = step;
        p.timestamp = timestamp;
        touched.add(p.key);
      }
      await series.append(lines);
      // Only acknowledged points become visible.
      for (const p of inputs) series.add(p.key, p.value, p.step!, p.timestamp!);
      return { stored: inputs.length, summaries: [...touched].map((k) => ({ ...series.keys.get(k)!.summary })) };
    });
  }

  async summaries(runId: string): Promise<MetricSummary[]> {
    const series = await this.series(runId);
    return [...series.keys.values()].map((k) => ({ ...k.summary }));
  }

  /** The points of one key ordered by step (arrival order within a step), at most maxPoints of them. */
  async points(runId: string, key: string, maxPoints: number): Promise<MetricPoint[] | null> {
    const series = (await this.series(runId)).keys.get(key);
    if (!series) return null;
    const order = series.steps.map((_, i) => i).sort((a, b) => series.steps[a]! - series.steps[b]! || a - b);
    const all = order.map((i) => ({ step: series.steps[i]!, value: series.values[i]!, timestamp: series.timestamps[i]! }));
    return downsample(all, maxPoints);
  }

  async remove(runId: string): Promise<void> {
    await this.serialize(runId, async () => {
      const entry = this.open.get(runId);
      this.open.delete(runId);
      if (entry) await (await entry.catch(() => null))?.close();
      await rm(this.folderOf(runId), { recursive: true, force: true });
    });
  }

  async fileSize(runId: string): Promise<number> {
    return (await stat(path.join(this.folderOf(runId), METRICS_FILE)).catch(() => null))?.size ?? 0;
  }

  async close(): Promise<void> {
    for (const entry of this.open.values()) await (await entry.catch(() => null))?.close();
    this.open.clear();
  }
}

/**
 * At most `max` points that keep the shape: the first, the last, and the minimum and maximum of each
 * of (max − 2) / 2 equal buckets in between, in step order.
 */
export function downsample(points: MetricPoint[], max: number): MetricPoint[] {
  if (points.length <= max) return points;
  if (max <= 2) return max <= 0 ? [] : max === 1 ? [points.at(-1)!] : [points[0]!, points.at(-1)!];
  const buckets = Math.floor((max - 2) / 2);
  const inner = points.length - 2;
  const out: MetricPoint[] = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (from >= to) continue;
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (points[i]!.value < points[lo]!.value) lo = i;
      if (points[i]!.value > points[hi]!.value) hi = i;
    }
    if (lo === hi) out.push(points[lo]!);
    else out.push(points[Math.min(lo, hi)]!, points[Math.max(lo, hi)]!);
  }
  out.push(points.at(-1)!);
  return out;
}
