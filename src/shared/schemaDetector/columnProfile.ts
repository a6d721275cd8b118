/** One column's profile: type, nulls, distinct values, min/max/mean/std, top values, examples. */
import type { ColumnSchema } from '../contract/types';
import { cell, FITS, FITS_DATETIME, FITS_NUMBER, KEY, Kind, typeFromMask, VALUE } from './classify';
import { HyperLogLog, mix, TallyTable } from './distinct';

export const DISTINCT_EXACT_LIMIT = 50_000;
const TOP_VALUES = 5;
const EXAMPLES = 5;

export interface ColumnStats extends ColumnSchema {
  nullCount: number;
  distinctCount: number;
  /** True when distinctCount is an estimate and topValues may miss values (more than DISTINCT_EXACT_LIMIT distinct). */
  approximate: boolean;
  min: number | string | null;
  max: number | string | null;
  mean: number | string | null;
  std: number | null;
  topValues: { value: string | number | boolean; count: number }[];
  examples: (string | number | boolean)[];
}

/** The text of the value being profiled, made only when needed (new distinct value, example). */
export interface ValueText {
  text(): string;
}

export interface TallyEntries {
  keys: Float64Array;
  counts: Float64Array;
  shown: (string | number | boolean)[];
}

/** Past the exact limit only this many of the most frequent values are passed on (for topValues). */
const ESTIMATED_TALLIES_KEPT = 1000;

/** Everything a ColumnProfile knows, as plain data (sent from worker threads and merged). */
export interface ColumnState {
  name: string;
  mask: number;
  nonNull: number;
  nullCount: number;
  n: number;
  shift: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
  tallies: TallyEntries;
  hll: Uint8Array | null;
  examples: (string | number | boolean)[];
}

export class ColumnProfile {
  mask = 31;
  nonNull = 0;
  nullCount = 0;
  // Sums of (value − shift), shift being the first value: numerically stable for the variance as long
  // as values are not far from the first one relative to their spread, and no division per value.
  private n = 0;
  private shift = 0;
  private sum = 0;
  private sumSq = 0;
  private min = Infinity;
  private max = -Infinity;
  private tallies = new TallyTable();
  private hll: HyperLogLog | null = null;
  private examples: (string | number | boolean)[] = [];

  constructor(readonly name: string) {}

  addNull(): void {
    this.nullCount++;
  }

  /** Records a non-null value of `kind`: its value is cell[VALUE] (see classifyBytes), cell[KEY] identifies equal values. */
  add(kind: Kind, text: ValueText): void {
    const value = cell[VALUE]!;
    const key = cell[KEY]!;
    this.nonNull++;
    this.mask &= FITS[kind];
    if (this.mask & (FITS_NUMBER | FITS_DATETIME)) {
      if (this.n++ === 0) this.shift = value;
      const delta = value - this.shift;
      this.sum += delta;
      this.sumSq += delta * delta;
      if (value < this.min) this.min = value;
      if (value > this.max) this.max = value;
    }
    const hash = mix(key);
    if (this.hll) {
      // Past the exact limit only the estimate is kept up: a lookup per value in a table that no
      // longer fits the CPU cache was most of the profiling time on high-cardinality columns.
      this.hll.add(hash);
      return;
    }
    if (this.tallies.increment(key, hash)) return;
    const shown = typedValue(kind, value, text);
    this.tallies.insert(key, hash, shown);
    if (this.examples.length < EXAMPLES) this.examples.push(shown);
    if (this.tallies.size >= DISTINCT_EXACT_LIMIT) {
      // Too many distinct values to count exactly in bounded memory: estimate from here on;
      // topValues then cover the rows read so far (flagged as approximate).
      this.hll = new HyperLogLog();
      for (const h of this.tallies.hashes()) this.hll.add(h);
    }
  }

  state(): ColumnState {
    return {
      name: this.name,
      mask: this.mask,
      nonNull: this.nonNull,
      nullCount: this.nullCount,
      n: this.n,
      shift: this.shift,
      sum: this.sum,
      sumSq: this.sumSq,
      min: this.min,
      max: this.max,
      tallies: this.tallies.entries(this.hll ? ESTIMATED_TALLIES_KEPT : Infinity),
      hll: this.hll ? this.hll.registers : null,
      examples: this.examples,
    };
  }

  /** Merges profiles of consecutive parts of one column, in file order. */
  static merge(states: ColumnState[]): ColumnProfile {
    const merged = new ColumnProfile(states[0]!.name);
    let mean = 0;
    let m2 = 0;
    for (const st of states) {
      merged.mask &= st.mask;
      merged.nonNull += st.nonNull;
      merged.nullCount += st.nullCount;
      merged.min = Math.min(merged.min, st.min);
      merged.max = Math.max(merged.max, st.max);
      if (st.n > 0) {
        // Chan et al.'s pairwise update of mean and sum of squared deviations.
        const partMean = st.shift + st.sum / st.n;
        const partM2 = Math.max(0, st.sumSq - (st.sum * st.sum) / st.n);
        const n = merged.n + st.n;
        const delta = partMean - mean;
        mean += (delta * st.n) / n;
        m2 += partM2 + (delta * delta * merged.n * st.n) / n;
        merged.n = n;
      }
      for (const e of st.examples) if (merged.examples.length < EXAMPLES && !merged.examples.includes(e)) merged.examples.push(e);
      if (st.hll) {
        merged.hll ??= new HyperLogLog();
        merged.hll.merge(st.hll);
      }
      const { keys, counts, shown } = st.tallies;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const hash = mix(key);
        if (merged.hll) merged.hll.add(hash);
        if (merged.tallies.size < DISTINCT_EXACT_LIMIT || merged.tallies.has(key, hash)) merged.tallies.addCount(key, counts[i]!, shown[i]!);
      }
      if (!merged.hll && merged.tallies.size >= DISTINCT_EXACT_LIMIT) {
        merged.hll = new HyperLogLog();
        for (const h of merged.tallies.hashes()) merged.hll.add(h);
      }
    }
    // Store the merged moments with shift 0: sum = n·mean, sumSq = m2 + n·mean².
    merged.shift = mean;
    merged.sum = 0;
    merged.sumSq = m2;
    return merged;
  }

  result(): ColumnStats {
    const type = typeFromMask(this.mask, this.nonNull);
    const numeric = type === 'integer' || type === 'number';
    const temporal = type === 'date' || type === 'datetime';
    const asTime = (ms: number) => (type === 'date' ? new Date(ms).toISOString().slice(0, 10) : new Date(ms).toISOString());
    const top = this.tallies.top(TOP_VALUES);
    const hasStats = (numeric || temporal) && this.n > 0;
    const mean = this.shift + this.sum / this.n;
    const variance = this.n > 1 ? Math.max(0, (this.sumSq - (this.sum * this.sum) / this.n) / (this.n - 1)) : NaN;
    return {
      name: this.name,
      type,
      nullable: this.nullCount > 0,
      nullCount: this.nullCount,
      distinctCount: this.hll ? this.hll.estimate() : this.tallies.size,
      approximate: this.hll !== null,
      min: !hasStats ? null : temporal ? asTime(this.min) : this.min,
      max: !hasStats ? null : temporal ? asTime(this.max) : this.max,
      mean: !hasStats ? null : temporal ? asTime(Math.round(mean)) : mean,
      // Sample standard deviation (n − 1), as pandas' describe(); for dates in days.
      std: !hasStats || this.n < 2 ? null : Math.sqrt(variance) / (temporal ? 86_400_000 : 1),
      topValues: top,
      examples: this.examples,
    };
  }
}

function typedValue(kind: Kind, value: number, text: ValueText): string | number | boolean {
  if (kind === Kind.Integer || kind === Kind.Number) return value;
  if (kind === Kind.Boolean) return value === 1;
  return text.text();
}
