/**
 * Schema and column statistics over a whole dataset, in one streaming pass with bounded memory.
 * Browser-safe (no Node APIs): the server runs it over the full upload, the Datasets page over the
 * first rows of the chosen file before uploading.
 *
 * Every value is classified from its bytes: null token, boolean, integer, number, date, datetime or
 * string. A column's type is the narrowest that all its non-null values fit (integer ⊂ number,
 * date ⊂ datetime). Counts (nulls, rows) are exact; distinct counts and top values are exact up to
 * DISTINCT_EXACT_LIMIT distinct values per column, then estimated (HyperLogLog) and flagged.
 */
import type { ColumnSchema, ColumnType } from '../contract/types';

export const DISTINCT_EXACT_LIMIT = 50_000;
const TOP_VALUES = 5;
const EXAMPLES = 5;

// ---------------------------------------------------------------- value classification

export const enum Kind {
  Null = 0,
  Boolean = 1,
  Integer = 2,
  Number = 3,
  Date = 4,
  Datetime = 5,
  String = 6,
}

// Bit masks of the column types a value fits; a column keeps the AND of its values' masks.
const FITS_INTEGER = 1;
const FITS_NUMBER = 2;
const FITS_BOOLEAN = 4;
const FITS_DATE = 8;
const FITS_DATETIME = 16;
const FITS: Record<Kind, number> = {
  [Kind.Null]: 31,
  [Kind.Boolean]: FITS_BOOLEAN,
  [Kind.Integer]: FITS_INTEGER | FITS_NUMBER,
  [Kind.Number]: FITS_NUMBER,
  [Kind.Date]: FITS_DATE | FITS_DATETIME,
  [Kind.Datetime]: FITS_DATETIME,
  [Kind.String]: 0,
};

export function typeFromMask(mask: number, nonNull: number): ColumnType {
  if (nonNull === 0) return 'string';
  if (mask & FITS_INTEGER) return 'integer';
  if (mask & FITS_NUMBER) return 'number';
  if (mask & FITS_BOOLEAN) return 'boolean';
  if (mask & FITS_DATE) return 'date';
  if (mask & FITS_DATETIME) return 'datetime';
  return 'string';
}

/** Whether a value of `kind` is acceptable in a column declared as `type`. */
export function kindFits(kind: Kind, type: ColumnType): boolean {
  const bit = FITS_BIT[type];
  return bit === 0 || (FITS[kind] & bit) !== 0;
}

/** The bit a declared column type needs (0: anything fits a string column). */
const FITS_BIT: Record<ColumnType, number> = { integer: FITS_INTEGER, number: FITS_NUMBER, boolean: FITS_BOOLEAN, date: FITS_DATE, datetime: FITS_DATETIME, string: 0 };

/** Set by classifyBytes: the numeric value (integer/number) or epoch milliseconds (date/datetime). */
/**
 * A one-slot typed array rather than a module-level number: every write to a `let` holding a
 * non-small-integer allocates a heap number in this V8 (Node 20), which for millions of cells was
 * a steady stream of garbage and scavenges.
 */
const classified = new Float64Array(1);

/**
 * The cell being profiled, handed to ColumnProfile.add: [value, key]. Doubles passed as arguments
 * to a call V8 does not inline are boxed as heap numbers (two per cell, hundreds of MB of garbage
 * for a large file); through a typed array they are not.
 */
const cell = new Float64Array(2);
const VALUE = 0;
const KEY = 1;

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil): no Date
 * object per value. Integer divisions by `| 0` where the operand cannot be negative.
 */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = ((y >= 0 ? y : y - 399) / 400) | 0;
  const yoe = y - era * 400;
  const doy = (((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) | 0) + d - 1;
  const doe = yoe * 365 + ((yoe / 4) | 0) - ((yoe / 100) | 0) + doy;
  return era * 146097 + doe - 719468;
}
const decoder = new TextDecoder();

const isDigit = (b: number) => b >= 48 && b <= 57;

/** Whether byte `b` is the lower-case ASCII letter `letter` in either case (`| 0x20` folds only letters onto letters). */
const isLetter = (b: number, letter: number) => (b | 0x20) === letter;

/** Null tokens after an n/N of length 2–4: NA, N/A, NaN, null, None (any case); the empty cell is checked first. */
function isNullWord(buf: Uint8Array, s: number, len: number): boolean {
  const b1 = buf[s + 1]!;
  if (len === 2) return isLetter(b1, 97);
  const b2 = buf[s + 2]!;
  if (len === 3) return (b1 === 47 && isLetter(b2, 97)) || (isLetter(b1, 97) && isLetter(b2, 110));
  if (len !== 4) return false;
  const b3 = buf[s + 3]!;
  return (isLetter(b1, 117) && isLetter(b2, 108) && isLetter(b3, 108)) || (isLetter(b1, 111) && isLetter(b2, 110) && isLetter(b3, 101));
}

function digitsAt(buf: Uint8Array, s: number, count: number): number {
  let v = 0;
  for (let k = 0; k < count; k++) {
    const b = buf[s + k]!;
    if (!isDigit(b)) return -1;
    v = v * 10 + (b - 48);
  }
  return v;
}

/** Two digits at buf[i], buf[i + 1] (both inside the array) as a number, or -1. */
function twoDigits(buf: Uint8Array, i: number): number {
  const a = buf[i]! - 48;
  const b = buf[i + 1]! - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** YYYY-MM-DD[(T| )HH:MM[:SS[.fff]][Z|±HH[:]MM]] → Kind.Date / Kind.Datetime, or String. `len` ≥ 10. */
function classifyDate(buf: Uint8Array, s: number, len: number): Kind {
  const century = twoDigits(buf, s);
  const yy = twoDigits(buf, s + 2);
  const mo = twoDigits(buf, s + 5);
  const d = twoDigits(buf, s + 8);
  if (century < 0 || yy < 0 || mo < 1 || mo > 12 || d < 1 || buf[s + 7] !== 45) return Kind.String;
  const y = century * 100 + yy;
  if (d > (mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1]!)) return Kind.String;
  if (len === 10) {
    classified[0] = daysFromCivil(y, mo, d) * 86_400_000;
    return Kind.Date;
  }
  const sep = buf[s + 10];
  if ((sep !== 84 && sep !== 116 && sep !== 32) || len < 16 || buf[s + 13] !== 58) return Kind.String;
  const h = twoDigits(buf, s + 11);
  const mi = twoDigits(buf, s + 14);
  if (h < 0 || h > 23 || mi < 0 || mi > 59) return Kind.String;
  let p = s + 16;
  const e = s + len;
  let sec = 0;
  let ms = 0;
  if (p < e && buf[p] === 58) {
    sec = digitsAt(buf, p + 1, 2);
    if (sec < 0 || sec > 60 || p + 3 > e) return Kind.String;
    p += 3;
    if (p < e && (buf[p] === 46 || buf[p] === 44)) {
      p++;
      let scale = 100;
      const fracStart = p;
      while (p < e && isDigit(buf[p]!)) {
        ms += (buf[p]! - 48) * scale;
        scale /= 10;
        p++;
      }
      if (p === fracStart) return Kind.String;
    }
  }
  let offsetMin = 0;
  if (p < e) {
    const z = buf[p];
    if ((z === 90 || z === 122) && p + 1 === e) p++;
    else if (z === 43 || z === 45) {
      const oh = digitsAt(buf, p + 1, 2);
      let q = p + 3;
      if (q < e && buf[q] === 58) q++;
      const om = q + 2 <= e ? digitsAt(buf, q, 2) : q === e ? 0 : -1;
      if (oh < 0 || om < 0 || oh > 23) return Kind.String;
      offsetMin = (z === 43 ? 1 : -1) * (oh * 60 + om);
      p = q === e ? e : q + 2;
    }
    if (p !== e) return Kind.String;
  }
  classified[0] = daysFromCivil(y, mo, d) * 86_400_000 + ((h * 60 + mi - offsetMin) * 60 + Math.min(sec, 59)) * 1000 + Math.round(ms);
  return Kind.Datetime;
}

/**
 * Classifies the bytes buf[start, end) (already without quotes; surrounding blanks are ignored).
 * For numbers and dates the value is left in `classified[0]`.
 */
export function classifyBytes(buf: Uint8Array, start: number, end: number): Kind {
  if (start === end) return Kind.Null;
  let first = buf[start]!;
  if (first === 32 || first === 9 || buf[end - 1] === 32 || buf[end - 1] === 9) {
    while (start < end && (buf[start] === 32 || buf[start] === 9)) start++;
    while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
    if (start === end) return Kind.Null;
    first = buf[start]!;
  }
  const len = end - start;
  // Null tokens start with n/N, booleans with t/T or f/F: one test rules all of them out.
  const folded = first | 0x20;
  if (len <= 5 && (folded === 110 || folded === 116 || folded === 102)) {
    if (folded === 110) return len >= 2 && isNullWord(buf, start, len) ? Kind.Null : Kind.String;
    if (folded === 116) {
      if (len !== 4 || !isLetter(buf[start + 1]!, 114) || !isLetter(buf[start + 2]!, 117) || !isLetter(buf[start + 3]!, 101)) return Kind.String;
      classified[0] = 1;
      return Kind.Boolean;
    }
    if (len !== 5 || !isLetter(buf[start + 1]!, 97) || !isLetter(buf[start + 2]!, 108) || !isLetter(buf[start + 3]!, 115) || !isLetter(buf[start + 4]!, 101)) {
      return Kind.String;
    }
    classified[0] = 0;
    return Kind.Boolean;
  }

  // Numbers: [+-] digits [. digits] [e [+-] digits]
  let p = start;
  if (first === 43 || first === 45) p++;
  let mantissa = 0;
  const intStart = p;
  for (; p < end; p++) {
    const d = buf[p]! - 48;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
  }
  const intDigits = p - intStart;
  let fraction = 0;
  if (p < end && buf[p] === 46) {
    p++;
    const fracStart = p;
    for (; p < end; p++) {
      const d = buf[p]! - 48;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
    }
    fraction = p - fracStart;
  }
  const digits = intDigits + fraction;
  if (digits > 0) {
    let exponent = false;
    if (p < end && (buf[p] === 101 || buf[p] === 69)) {
      let q = p + 1;
      if (q < end && (buf[q] === 43 || buf[q] === 45)) q++;
      const expStart = q;
      while (q < end && isDigit(buf[q]!)) q++;
      if (q > expStart) {
        exponent = true;
        p = q;
      }
    }
    if (p === end) {
      if (digits <= 15 && !exponent) {
        // Exact fast path: an integer mantissa below 2^53 divided by an exact power of ten rounds correctly.
        const v = fraction === 0 ? mantissa : mantissa / POW10[fraction]!;
        classified[0] = first === 45 ? -v : v;
      } else {
        classified[0] = Number(decoder.decode(buf.subarray(start, end)));
      }
      return !exponent && fraction === 0 && buf[end - 1] !== 46 ? Kind.Integer : Kind.Number;
    }
  }
  if (len >= 10 && first >= 48 && first <= 57 && buf[start + 4] === 45) return classifyDate(buf, start, len);
  return Kind.String;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(1024);

/** Encodes a string into a reusable buffer; returns its byte length (for classifying and hashing strings). */
function encodeScratch(text: string): number {
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3 + 16);
  return encoder.encodeInto(text, scratch).written;
}

/** The value classifyBytes/classifyString left for the last number, boolean (1/0), date or datetime (epoch ms). */
export function classifiedValue(): number {
  return classified[0]!;
}

export function classifyString(text: string): Kind {
  const n = encodeScratch(text);
  return classifyBytes(scratch, 0, n);
}

// ---------------------------------------------------------------- distinct counting

/** Writes a 53-bit hash of bytes (two 32-bit mixes) to cell[KEY]: the key for exact distinct counting. */
function hashBytesToKey(buf: Uint8Array, start: number, end: number): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  cell[KEY] = (h1 >>> 0) * 2097152 + ((h2 >>> 11) & 0x1fffff);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0; // int32, not uint32: an int32 stays a small integer in V8, a uint32 above 2^31 is boxed
}

/**
 * A well-mixed 32-bit hash (as an int32) of any double (a 53-bit key or a numeric value): small
 * integers directly, anything else from its two 32-bit halves (no division; -0 hashes as 0).
 */
function mix(value: number): number {
  if ((value | 0) === value) return fmix32(value ^ 0x9e3779b9);
  f64[0] = value;
  return fmix32(u32[0]! ^ fmix32(u32[1]! + 0x9e3779b9));
}

/** HyperLogLog with 2^14 registers (standard error ≈ 0.8%). */
class HyperLogLog {
  private static readonly P = 14;
  readonly registers: Uint8Array = new Uint8Array(1 << HyperLogLog.P);

  static from(registers: Uint8Array): HyperLogLog {
    const hll = new HyperLogLog();
    hll.registers.set(registers);
    return hll;
  }

  merge(other: Uint8Array): void {
    for (let i = 0; i < this.registers.length; i++) if (other[i]! > this.registers[i]!) this.registers[i] = other[i]!;
  }

  add(hash32: number): void {
    const index = hash32 >>> (32 - HyperLogLog.P);
    const rest = (hash32 << HyperLogLog.P) | (1 << (HyperLogLog.P - 1));
    const rank = Math.clz32(rest) + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  estimate(): number {
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    return Math.round(raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw);
  }
}

/**
 * Exact value counts keyed by a double (a numeric value or a 53-bit text hash): open addressing over
 * one Float64Array of [key, count] pairs (count 0 = empty slot), several times faster than a Map on
 * the hot path. It starts small and doubles at half load, so a column with few distinct values probes
 * a table that stays in the CPU cache. Holds up to DISTINCT_EXACT_LIMIT keys.
 */
class TallyTable {
  private static readonly INITIAL = 1024;
  private capacity = TallyTable.INITIAL;
  private mask = TallyTable.INITIAL - 1;
  private pairs = new Float64Array(2 * TallyTable.INITIAL);
  private order = new Int32Array(TallyTable.INITIAL);
  private shown: (string | number | boolean)[] = new Array(TallyTable.INITIAL);
  size = 0;

  /** Counts one more of `key` if present and returns true; false when the key is not in the table. */
  increment(key: number, hash: number): boolean {
    const { pairs, mask } = this;
    let slot = hash & mask;
    for (;;) {
      const count = pairs[2 * slot + 1]!;
      if (count === 0) return false;
      if (pairs[2 * slot] === key) {
        pairs[2 * slot + 1] = count + 1;
        return true;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Adds a key that is not in the table, with `count` occurrences. */
  insert(key: number, hash: number, shown: string | number | boolean, count = 1): void {
    if (2 * (this.size + 1) > this.capacity) this.grow();
    this.place(key, hash, shown, count, this.size++);
  }

  private place(key: number, hash: number, shown: string | number | boolean, count: number, order: number): void {
    const { pairs, mask } = this;
    let slot = hash & mask;
    while (pairs[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
    pairs[2 * slot] = key;
    pairs[2 * slot + 1] = count;
    this.order[slot] = order;
    this.shown[slot] = shown;
  }

  private grow(): void {
    const { pairs, order, shown, capacity } = this;
    this.capacity = capacity * 2;
    this.mask = this.capacity - 1;
    this.pairs = new Float64Array(2 * this.capacity);
    this.order = new Int32Array(this.capacity);
    this.shown = new Array(this.capacity);
    for (let slot = 0; slot < capacity; slot++) {
      const count = pairs[2 * slot + 1]!;
      if (count !== 0) this.place(pairs[2 * slot]!, mix(pairs[2 * slot]!), shown[slot]!, count, order[slot]!);
    }
  }

  /** The slot holding `key`, or -1. */
  private find(key: number, hash: number): number {
    let slot = hash & this.mask;
    while (this.pairs[2 * slot + 1] !== 0) {
      if (this.pairs[2 * slot] === key) return slot;
      slot = (slot + 1) & this.mask;
    }
    return -1;
  }

  has(key: number, hash: number): boolean {
    return this.find(key, hash) >= 0;
  }

  /** Adds `count` occurrences (inserting the key if new); used when merging profiles. */
  addCount(key: number, count: number, shown: string | number | boolean): void {
    const hash = mix(key);
    const slot = this.find(key, hash);
    if (slot < 0) this.insert(key, hash, shown, count);
    else this.pairs[2 * slot + 1]! += count;
  }

  private usedSlots(): number[] {
    const slots: number[] = [];
    for (let slot = 0; slot < this.capacity; slot++) if (this.pairs[2 * slot + 1] !== 0) slots.push(slot);
    return slots;
  }

  private countAt(slot: number): number {
    return this.pairs[2 * slot + 1]!;
  }

  /**
   * Keys, counts and shown values in insertion order, as typed arrays (cheap to send between
   * threads). `limit` keeps only the most frequent entries.
   */
  entries(limit = Infinity): TallyEntries {
    let slots = this.usedSlots();
    if (slots.length > limit) {
      slots.sort((a, b) => this.countAt(b) - this.countAt(a));
      slots = slots.slice(0, limit);
    }
    slots.sort((a, b) => this.order[a]! - this.order[b]!);
    return {
      keys: Float64Array.from(slots, (slot) => this.pairs[2 * slot]!),
      counts: Float64Array.from(slots, (slot) => this.countAt(slot)),
      shown: slots.map((slot) => this.shown[slot]!),
    };
  }

  *hashes(): Generator<number> {
    for (const slot of this.usedSlots()) yield mix(this.pairs[2 * slot]!);
  }

  top(k: number): { value: string | number | boolean; count: number }[] {
    const slots = this.usedSlots();
    slots.sort((a, b) => this.countAt(b) - this.countAt(a) || this.order[a]! - this.order[b]!);
    return slots.slice(0, k).map((slot) => ({ value: this.shown[slot]!, count: this.countAt(slot) }));
  }
}

// ---------------------------------------------------------------- per-column profile

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

// ---------------------------------------------------------------- schema diff and expected schemas

export interface SchemaChanges {
  added: string[];
  removed: string[];
  typeChanged: { name: string; from: ColumnType; to: ColumnType }[];
}

export function diffSchemas(parent: { columns: ColumnSchema[] }, child: { columns: ColumnSchema[] }): SchemaChanges {
  const before = new Map(parent.columns.map((c) => [c.name, c.type]));
  const after = new Map(child.columns.map((c) => [c.name, c.type]));
  return {
    added: child.columns.filter((c) => !before.has(c.name)).map((c) => c.name),
    removed: parent.columns.filter((c) => !after.has(c.name)).map((c) => c.name),
    typeChanged: child.columns
      .filter((c) => before.has(c.name) && before.get(c.name) !== c.type)
      .map((c) => ({ name: c.name, from: before.get(c.name)!, to: c.type })),
  };
}

export interface ExpectedColumn {
  name: string;
  type: ColumnType;
  /** Default false: a declared column must not hold nulls unless it says so. */
  nullable?: boolean;
}

export interface SchemaViolation {
  /** 1-based data row (the header is not counted); null for whole-column problems. */
  row: number | null;
  column: string;
  value: string | null;
  expected: string;
  problem: 'missing_column' | 'wrong_type' | 'null_value';
  /** Parallel reading only: the block whose rows `row` counts. */
  block?: number;
}

export const MAX_VIOLATIONS = 100;

/** Expected columns absent from the file, as violations (reported before all others). */
export function missingColumnViolations(expected: ExpectedColumn[] | null | undefined, present: string[]): SchemaViolation[] {
  const names = new Set(present);
  return (expected ?? []).filter((c) => !names.has(c.name)).map((c) => ({ row: null, column: c.name, value: null, expected: c.type, problem: 'missing_column' }));
}

export function raggedRowsWarning(count: number, width: number, firstLines: number[]): string {
  return (
    `${count} row(s) have a different number of fields than the header (${width}); ` +
    `first on line(s) ${firstLines.join(', ')}. Missing fields are treated as nulls, extra fields are ignored.`
  );
}

// ---------------------------------------------------------------- the profiler over rows

export interface DetectionResult {
  columns: ColumnStats[];
  rowCount: number;
  warnings: string[];
  violations: SchemaViolation[];
  /** Total violations found (violations holds at most MAX_VIOLATIONS). */
  violationCount: number;
}

/** Receives rows field by field (CSV bytes or JSON values) and keeps the per-column profiles. */
export class TableProfiler {
  readonly columns: ColumnProfile[] = [];
  rowCount = 0;
  readonly warnings: string[] = [];
  private expectedByIndex: (ExpectedColumn | undefined)[] = [];
  private expected: ExpectedColumn[] | null;
  violations: SchemaViolation[] = [];
  violationCount = 0;
  private readonly bytesText = new BytesText();

  constructor(expected?: ExpectedColumn[] | null) {
    this.expected = expected ?? null;
  }

  /** Declares the columns (CSV header, or JSON keys as they appear). Returns the index of `name`. */
  addColumn(name: string): number {
    const index = this.columns.length;
    this.columns.push(new ColumnProfile(name));
    this.expectedByIndex.push(this.expected?.find((c) => c.name === name));
    if (this.rowCount > 0) for (let r = 0; r < this.rowCount; r++) this.columns[index]!.addNull(); // earlier rows lacked it
    return index;
  }

  /** Parallel reading: rows of violations are counted from the start of the current block. */
  private block = -1;
  private blockRowStart = 0;

  startBlock(index: number): void {
    this.block = index;
    this.blockRowStart = this.rowCount;
  }

  private violate(v: SchemaViolation) {
    this.violationCount++;
    if (this.violations.length >= MAX_VIOLATIONS) return;
    if (this.block >= 0 && v.row !== null) this.violations.push({ ...v, row: v.row - this.blockRowStart, block: this.block });
    else this.violations.push(v);
  }

  /** A field of the current row from bytes (CSV). `escapedQuotes`: the field had "" inside quotes. */
  fieldBytes(index: number, buf: Uint8Array, start: number, end: number, escapedQuotes: boolean): void {
    const column = this.columns[index]!;
    const kind = classifyBytes(buf, start, end);
    if (kind === Kind.Null) {
      column.addNull();
      if (this.expected) this.checkNull(index);
      return;
    }
    this.bytesText.set(buf, start, end, escapedQuotes);
    // Equal values share a key: numbers, booleans and dates by value (so 1.0 and 1 are one value),
    // text by a 53-bit hash of its bytes.
    cell[VALUE] = classified[0]!;
    if (kind === Kind.String) hashBytesToKey(buf, start, end);
    else cell[KEY] = classified[0]!;
    column.add(kind, this.bytesText);
    if (this.expected) this.checkKind(index, kind, this.bytesText);
  }

  /** A null in column `index`: a violation if the expected schema declares it and not nullable. */
  private checkNull(index: number): void {
    const expected = this.expectedByIndex[index];
    if (expected && !expected.nullable) {
      this.violate({ row: this.rowCount + 1, column: this.columns[index]!.name, value: null, expected: `${expected.type} (not nullable)`, problem: 'null_value' });
    }
  }

  /** A value of `kind` in column `index`: a violation if it does not fit the declared type. */
  private checkKind(index: number, kind: Kind, text: ValueText): void {
    const expected = this.expectedByIndex[index];
    if (expected && !kindFits(kind, expected.type)) {
      this.violate({ row: this.rowCount + 1, column: this.columns[index]!.name, value: text.text(), expected: expected.type, problem: 'wrong_type' });
    }
  }

  /** A field of the current row from a parsed JSON value. Nested values are profiled as their JSON text. */
  fieldValue(index: number, value: unknown): boolean {
    let nested = false;
    let text: string;
    if (value === null || value === undefined) text = '';
    else if (typeof value === 'string') text = value;
    else if (typeof value === 'object') {
      text = JSON.stringify(value);
      nested = true;
    } else text = String(value);
    if (typeof value === 'string' && text !== '' && classifyString(text) !== Kind.Date && classifyString(text) !== Kind.Datetime && classifyString(text) !== Kind.Null) {
      // A JSON string stays a string even when it looks like a number or boolean: JSON already typed it.
      this.stringField(index, text);
      return nested;
    }
    if (nested) {
      this.stringField(index, text);
      return nested;
    }
    const n = encodeScratch(text);
    this.fieldBytes(index, scratch, 0, n, false);
    return nested;
  }

  private stringField(index: number, text: string): void {
    const column = this.columns[index]!;
    const n = encodeScratch(text);
    this.bytesText.setText(text);
    cell[VALUE] = 0;
    hashBytesToKey(scratch, 0, n);
    column.add(Kind.String, this.bytesText);
    if (this.expected) this.checkKind(index, Kind.String, this.bytesText);
  }

  /** A column absent from the current row. */
  missingField(index: number): void {
    this.columns[index]!.addNull();
    if (this.expected) this.checkNull(index);
  }

  endRow(): void {
    this.rowCount++;
  }

  finish(): DetectionResult {
    if (this.expected) {
      // Missing columns are the most important problem: report them first.
      const missing = missingColumnViolations(this.expected, this.columns.map((c) => c.name));
      this.violationCount += missing.length;
      this.violations = [...missing, ...this.violations].slice(0, MAX_VIOLATIONS);
    }
    return {
      columns: this.columns.map((c) => c.result()),
      rowCount: this.rowCount,
      warnings: this.warnings,
      violations: this.violations,
      violationCount: this.violationCount,
    };
  }
}

/** Lazily decoded text of a CSV field (with "" unescaped) or a given string. */
class BytesText implements ValueText {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private escaped = false;
  private given: string | null = null;

  set(buf: Uint8Array, start: number, end: number, escaped: boolean) {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.escaped = escaped;
    this.given = null;
  }

  setText(text: string) {
    this.given = text;
  }

  text(): string {
    if (this.given !== null) return this.given;
    const raw = decoder.decode(this.buf.subarray(this.start, this.end)).trim();
    return this.escaped ? raw.replaceAll('""', '"') : raw;
  }
}

// ---------------------------------------------------------------- rows that span chunks

/**
 * The longest row (CSV/TSV record, JSON Lines line, element of a JSON array) read: a row is held
 * whole while it is parsed, so this bounds memory. Longer rows are refused with a clear error
 * (usually a quote opened and never closed, which makes the rest of the file one row).
 */
export const MAX_ROW_BYTES = 64 * 1024 * 1024;

/** Malformed content found while reading a dataset (answered 422 with the position). */
export class DatasetFormatError extends Error {
  constructor(
    message: string,
    readonly position: { byte?: number; line?: number },
  ) {
    super(message);
    this.name = 'DatasetFormatError';
  }
}

/**
 * The bytes of a row that began in an earlier chunk. It grows by doubling, so a row that spans many
 * chunks is copied a bounded number of times (appending each chunk to a fresh copy was quadratic:
 * 3.5 s for one 40 MB row, minutes for 500 MB).
 */
export class RowBuffer {
  private bytes = new Uint8Array(0);
  length = 0;
  /** Bytes copied into the buffer so far (for tests of the amortised cost). */
  copied = 0;

  /** Appends `chunk`; false (nothing appended) if the row would exceed `max` bytes. */
  append(chunk: Uint8Array, max: number): boolean {
    const needed = this.length + chunk.length;
    if (needed > max) return false;
    if (needed > this.bytes.length) {
      const grown = new Uint8Array(Math.min(max, Math.max(needed, 2 * this.bytes.length, 64 * 1024)));
      grown.set(this.bytes.subarray(0, this.length));
      this.copied += this.length;
      this.bytes = grown;
    }
    this.bytes.set(chunk, this.length);
    this.copied += chunk.length;
    this.length = needed;
    return true;
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** Drops the first `count` bytes (a complete row read from the front). */
  dropFront(count: number): void {
    if (count === 0) return;
    this.bytes.copyWithin(0, count, this.length);
    this.copied += this.length - count;
    this.length -= count;
  }

  clear(): void {
    this.length = 0;
    if (this.bytes.length > 1024 * 1024) this.bytes = new Uint8Array(0); // do not keep a huge row's memory
  }
}

// ---------------------------------------------------------------- CSV

const QUOTE = 34;
const LF = 10;
const CR = 13;
export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * Picks the delimiter whose count per line (outside quotes) is non-zero and most consistent over the
 * first lines, preferring the larger count. Falls back to comma.
 */
export function detectDelimiter(sample: string): string {
  const lines: string[] = [];
  let current = '';
  let inQuotes = false;
  for (const ch of sample) {
    if (ch === '"') inQuotes = !inQuotes;
    if (!inQuotes && (ch === '\n' || ch === '\r')) {
      if (current.length) lines.push(current);
      current = '';
      if (lines.length >= 50) break;
      continue;
    }
    current += ch;
  }
  if (current.length && lines.length < 50) lines.push(current);
  let best = ',';
  let bestScore = -1;
  for (const delimiter of CSV_DELIMITERS) {
    const counts = lines.map((line) => {
      let n = 0;
      let quoted = false;
      for (const ch of line) {
        if (ch === '"') quoted = !quoted;
        else if (!quoted && ch === delimiter) n++;
      }
      return n;
    });
    if (counts.length === 0 || counts[0] === 0) continue;
    const header = counts[0]!;
    const consistent = counts.filter((c) => c === header).length / counts.length;
    const score = consistent * 1000 + header;
    if (score > bestScore) {
      bestScore = score;
      best = delimiter;
    }
  }
  return best;
}

/**
 * A streaming RFC 4180 CSV reader over bytes that feeds a TableProfiler: quotes with "" escapes,
 * newlines inside quotes, CRLF/LF/CR, a UTF-8 BOM, blank lines skipped, ragged rows counted.
 */
export class CsvProfiler {
  readonly profiler: TableProfiler;
  private readonly delimiter: number;
  /** 1 for the bytes that end an unquoted field: the delimiter, LF and CR. */
  private readonly stops = new Uint8Array(256);
  /** A row begun in an earlier chunk, and how long it must grow before it is scanned again. */
  private pendingRow = new RowBuffer();
  private retryAt = 0;
  /** Longest row accepted (see MAX_ROW_BYTES). */
  maxRowBytes = MAX_ROW_BYTES;
  /** Bytes handed to the scanner, rescans included (for tests of the amortised cost). */
  scannedBytes = 0;
  private header: string[] | null = null;
  private lineNo = 1;
  private first = true;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private escaped = new Uint8Array(64);
  raggedRows = 0;
  readonly raggedLines: number[] = [];
  /** Set with a data-row limit: stop after that many rows (used for previews). */
  done = false;
  private readonly rows: ((string | null)[])[] | null;

  /** Offset just past the last complete row of the last buffer scanned (the data start after a header-only scan). */
  lastRowEnd = 0;

  constructor(
    delimiter: string,
    expected?: ExpectedColumn[] | null,
    private readonly rowLimit = Infinity,
    keepRows = false,
    presetHeader?: string[],
  ) {
    this.delimiter = delimiter.charCodeAt(0);
    this.stops[this.delimiter] = 1;
    this.stops[LF] = 1;
    this.stops[CR] = 1;
    this.profiler = new TableProfiler(expected);
    this.rows = keepRows ? [] : null;
    if (presetHeader) {
      this.header = presetHeader;
      for (const name of presetHeader) this.profiler.addColumn(name);
      this.first = false;
    }
  }

  get line(): number {
    return this.lineNo;
  }

  /** Block-local ragged lines for parallel reading: [block, line within block (1-based)]. */
  readonly raggedInBlocks: [number, number][] = [];
  private blockIndex = -1;

  /**
   * Parallel reading: scans one block of whole rows (it must start at a row boundary, which the
   * caller guessed). `clean` is false when the block did not end exactly at a row boundary, i.e. the
   * guess for the next block was wrong. The last block of the file is read to its end.
   */
  readBlock(index: number, bytes: Uint8Array, last: boolean): { rows: number; lines: number; clean: boolean } {
    this.blockIndex = index;
    this.lineNo = 1;
    this.pendingRow.clear();
    this.profiler.startBlock(index);
    const rowsBefore = this.profiler.rowCount;
    const consumed = this.scan(bytes, last);
    const clean = consumed === bytes.length;
    return { rows: this.profiler.rowCount - rowsBefore, lines: this.lineNo - 1, clean };
  }

  get columnNames(): string[] {
    return this.header ?? [];
  }

  get keptRows(): (string | null)[][] {
    return this.rows ?? [];
  }

  push(chunk: Uint8Array): void {
    if (this.done) return;
    const pending = this.pendingRow;
    if (pending.length === 0) {
      const consumed = this.scan(chunk, false);
      if (consumed < chunk.length) {
        this.keep(chunk.subarray(consumed));
        this.retryAt = 2 * pending.length;
      }
      return;
    }
    this.keep(chunk);
    // A row that spans chunks is scanned again only once it has doubled since the last try, so a
    // huge row costs linear time, not a rescan from its start for every chunk.
    if (pending.length < this.retryAt) return;
    const consumed = this.scan(pending.view(), false);
    pending.dropFront(consumed);
    this.retryAt = 2 * pending.length;
  }

  private keep(bytes: Uint8Array): void {
    if (!this.pendingRow.append(bytes, this.maxRowBytes)) {
      const mb = Math.round(this.maxRowBytes / 1024 / 1024);
      throw new DatasetFormatError(`The row starting on line ${this.lineNo} is longer than ${mb} MB: probably a quote opened there is never closed`, { line: this.lineNo });
    }
  }

  end(): void {
    if (this.pendingRow.length > 0 && !this.done) this.scan(this.pendingRow.view(), true);
    this.pendingRow.clear();
  }

  /** Scans complete rows; returns the offset of the first byte not consumed. */
  private scan(buf: Uint8Array, final: boolean): number {
    const n = buf.length;
    this.scannedBytes += n;
    const delim = this.delimiter;
    const stops = this.stops;
    let pos = 0;
    if (this.first) {
      if (n < 3 && !final) return 0;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
      this.first = false;
    }
    let rowStart = pos;
    while (pos < n || (final && pos === n && rowStart < n)) {
      // Parse one row starting at rowStart.
      let i = rowStart;
      let fields = 0;
      let newlines = 0;
      let complete: boolean;
      for (;;) {
        if (fields === this.starts.length) this.grow();
        if (i < n && buf[i] === QUOTE) {
          let j = i + 1;
          let esc = false;
          let close = -1;
          let quotedNewlines = 0;
          for (;;) {
            let q = j;
            // One pass finds the closing quote and counts the newlines inside the field.
            while (q < n) {
              const b = buf[q]!;
              if (b === QUOTE) break;
              if (b === LF) quotedNewlines++;
              q++;
            }
            if (q >= n) break;
            if (q + 1 < n && buf[q + 1] === QUOTE) {
              esc = true;
              j = q + 2;
              continue;
            }
            if (q + 1 >= n && !final) break; // cannot tell yet whether it is an escaped quote
            close = q;
            break;
          }
          if (close < 0) {
            if (!final) return rowStart;
            close = n; // unterminated quote at end of file: take the rest
            this.profiler.warnings.push(`Unterminated quoted field starting on line ${this.lineNo + newlines}`);
          }
          newlines += quotedNewlines;
          this.starts[fields] = i + 1;
          this.ends[fields] = close;
          this.escaped[fields] = esc ? 1 : 0;
          fields++;
          i = close + 1;
          // Skip anything between the closing quote and the next delimiter or line end.
          while (i < n && buf[i] !== delim && buf[i] !== LF && buf[i] !== CR) i++;
        } else {
          const s = i;
          // One table lookup per byte instead of three comparisons.
          while (i < n && stops[buf[i]!] === 0) i++;
          this.starts[fields] = s;
          this.ends[fields] = i;
          this.escaped[fields] = 0;
          fields++;
        }
        if (i >= n) {
          if (!final) return rowStart;
          complete = true;
          break;
        }
        const c = buf[i];
        if (c === delim) {
          i++;
          if (i >= n && final) {
            // a trailing delimiter at end of file: one more empty field
            if (fields === this.starts.length) this.grow();
            this.starts[fields] = i;
            this.ends[fields] = i;
            this.escaped[fields] = 0;
            fields++;
            complete = true;
            break;
          }
          continue;
        }
        // Line end: CRLF, LF or CR.
        if (c === CR) {
          if (i + 1 >= n && !final) return rowStart;
          i += i + 1 < n && buf[i + 1] === LF ? 2 : 1;
        } else i++;
        newlines++;
        complete = true;
        break;
      }
      if (!complete) return rowStart;
      const blank = fields === 1 && this.starts[0] === this.ends[0];
      if (!blank) this.row(buf, fields);
      this.lineNo += newlines;
      rowStart = i;
      this.lastRowEnd = i;
      pos = i;
      if (this.done) return n;
      if (final && i >= n) break;
    }
    return rowStart;
  }

  private grow() {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    starts.set(this.starts);
    const ends = new Int32Array(size);
    ends.set(this.ends);
    const escaped = new Uint8Array(size);
    escaped.set(this.escaped);
    this.starts = starts;
    this.ends = ends;
    this.escaped = escaped;
  }

  private row(buf: Uint8Array, fields: number): void {
    const p = this.profiler;
    if (this.header === null) {
      const names: string[] = [];
      const seen = new Map<string, number>();
      for (let f = 0; f < fields; f++) {
        let name = decoder.decode(buf.subarray(this.starts[f], this.ends[f])).trim();
        if (this.escaped[f]) name = name.replaceAll('""', '"');
        if (name === '') {
          name = `column_${f + 1}`;
          p.warnings.push(`Column ${f + 1} has no name in the header; it is called '${name}'`);
        }
        const dup = seen.get(name);
        if (dup !== undefined) {
          seen.set(name, dup + 1);
          const renamed = `${name}.${dup}`;
          p.warnings.push(`Column name '${name}' appears more than once; later copies are called '${renamed}'`);
          name = renamed;
        } else seen.set(name, 1);
        names.push(name);
        p.addColumn(name);
      }
      this.header = names;
      if (this.rowLimit === 0) this.done = true; // header only
      return;
    }
    const width = this.header.length;
    if (fields !== width) {
      this.raggedRows++;
      if (this.raggedLines.length < 5) {
        this.raggedLines.push(this.lineNo);
        if (this.blockIndex >= 0) this.raggedInBlocks.push([this.blockIndex, this.lineNo]);
      }
    }
    const shown = Math.min(fields, width);
    for (let f = 0; f < shown; f++) p.fieldBytes(f, buf, this.starts[f]!, this.ends[f]!, this.escaped[f] === 1);
    for (let f = shown; f < width; f++) p.missingField(f);
    if (this.rows) {
      const kept: (string | null)[] = [];
      for (let f = 0; f < width; f++) {
        if (f >= fields) kept.push(null);
        else {
          const text = decoder.decode(buf.subarray(this.starts[f], this.ends[f]));
          kept.push(this.escaped[f] ? text.replaceAll('""', '"') : text);
        }
      }
      this.rows.push(kept);
    }
    p.endRow();
    if (p.rowCount >= this.rowLimit) this.done = true;
  }

  finish(): DetectionResult {
    if (this.raggedRows > 0) this.profiler.warnings.push(raggedRowsWarning(this.raggedRows, this.header?.length ?? 0, this.raggedLines));
    return this.profiler.finish();
  }
}

// ---------------------------------------------------------------- JSON and JSON Lines

/** Malformed JSON or JSON Lines. */
export class JsonFormatError extends DatasetFormatError {
  constructor(message: string, position: { byte?: number; line?: number }) {
    super(message, position);
    this.name = 'JsonFormatError';
  }
}

/** Profiles parsed JSON objects: columns are keys in order of first appearance, absent keys are nulls. */
export class ObjectRowProfiler {
  readonly profiler: TableProfiler;
  private readonly index = new Map<string, number>();
  private nestedColumns = new Set<string>();
  private readonly rows: Record<string, unknown>[] | null;

  constructor(expected?: ExpectedColumn[] | null, keepRows = false) {
    this.profiler = new TableProfiler(expected);
    this.rows = keepRows ? [] : null;
  }

  get keptRows(): Record<string, unknown>[] {
    return this.rows ?? [];
  }

  /** Adds one element; throws JsonFormatError if it is not an object. `where` says where it came from. */
  add(element: unknown, where: string): void {
    if (typeof element !== 'object' || element === null || Array.isArray(element)) {
      throw new JsonFormatError(`${where} is ${Array.isArray(element) ? 'an array' : element === null ? 'null' : `a ${typeof element}`}, not an object`, {});
    }
    const seen = new Uint8Array(this.profiler.columns.length + Object.keys(element).length);
    for (const [key, value] of Object.entries(element)) {
      let i = this.index.get(key);
      if (i === undefined) {
        i = this.profiler.addColumn(key);
        this.index.set(key, i);
      }
      seen[i] = 1;
      if (this.profiler.fieldValue(i, value)) this.nestedColumns.add(key);
    }
    for (let i = 0; i < this.profiler.columns.length; i++) if (!seen[i]) this.profiler.missingField(i);
    this.rows?.push(element as Record<string, unknown>);
    this.profiler.endRow();
  }

  finish(): DetectionResult {
    if (this.nestedColumns.size > 0) {
      this.profiler.warnings.push(
        `Nested objects or arrays in column(s) ${[...this.nestedColumns].map((c) => `'${c}'`).join(', ')} are profiled as strings of their JSON text`,
      );
    }
    return this.profiler.finish();
  }
}

/**
 * Splits a JSON array of objects into elements as bytes arrive, so a large file is never held
 * whole; each element is parsed with JSON.parse. Errors carry the byte position.
 */
export class JsonArrayReader {
  private depth = 0;
  private inString = false;
  private escape = false;
  private started = false;
  private finished = false;
  private inElement = false;
  private expectValue = true;
  /** An element begun in an earlier chunk. */
  private pendingElement = new RowBuffer();
  /** Largest element accepted (see MAX_ROW_BYTES). */
  maxRowBytes = MAX_ROW_BYTES;
  private offset = 0; // bytes consumed before the current chunk
  private elements = 0;
  private elementOffset = 0;

  constructor(private readonly onElement: (element: unknown, index: number) => void) {}

  private fail(message: string, byte: number): never {
    throw new JsonFormatError(`${message} at byte ${byte}`, { byte });
  }

  push(chunk: Uint8Array): void {
    let start = this.inElement ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === 92) this.escape = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === 32 || b === 9 || b === LF || b === CR) continue;
      const at = this.offset + i;
      if (!this.started) {
        if (at === 0 && b === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
          i += 2;
          continue;
        }
        if (b !== 91) this.fail(`A .json dataset must be an array of objects; found '${String.fromCharCode(b)}'`, at);
        this.started = true;
        continue;
      }
      if (this.finished) this.fail('Unexpected data after the end of the array', at);
      if (!this.inElement) {
        if (b === 93) {
          if (this.expectValue && this.elements > 0) this.fail("Unexpected ']' after ','", at);
          this.finished = true;
        } else if (b === 44) {
          if (this.expectValue) this.fail("Unexpected ','", at);
          this.expectValue = true;
        } else if (!this.expectValue) {
          this.fail("Expected ',' or ']'", at);
        } else if (b !== 123) {
          this.fail(`Element ${this.elements + 1} of the array is not an object`, at);
        } else {
          this.inElement = true;
          this.expectValue = false;
          this.depth = 1;
          this.elementOffset = at;
          start = i;
        }
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === 123 || b === 91) this.depth++;
      else if (b === 125 || b === 93) {
        this.depth--;
        if (this.depth === 0) {
          this.emit(chunk.subarray(start, i + 1));
          this.inElement = false;
          start = -1;
        }
      }
    }
    if (this.inElement && start >= 0) this.keep(chunk.subarray(start));
    this.offset += chunk.length;
  }

  private keep(bytes: Uint8Array): void {
    if (!this.pendingElement.append(bytes, this.maxRowBytes)) {
      this.fail(`Element ${this.elements + 1} of the array is larger than ${Math.round(this.maxRowBytes / 1024 / 1024)} MB; it starts`, this.elementOffset);
    }
  }

  private emit(tail: Uint8Array): void {
    let bytes = tail;
    if (this.pendingElement.length > 0) {
      this.keep(tail);
      bytes = this.pendingElement.view();
    }
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(bytes));
    } catch (error) {
      const position = /position (\d+)/.exec((error as Error).message);
      const byte = this.elementOffset + (position ? Number(position[1]) : 0);
      throw new JsonFormatError(`Invalid JSON in element ${this.elements + 1} near byte ${byte}: ${(error as Error).message}`, { byte });
    }
    this.pendingElement.clear();
    this.onElement(value, this.elements++);
  }

  end(): void {
    if (!this.started) this.fail('The file holds no JSON array', this.offset);
    if (!this.finished) {
      this.fail(`The JSON is truncated: it ends inside ${this.inString ? 'a string' : this.inElement ? `element ${this.elements + 1}` : 'the array'}`, this.offset);
    }
  }
}

/** Splits JSON Lines into lines as bytes arrive; blank lines are skipped. Errors carry the line number. */
export class JsonLinesReader {
  /** A line begun in an earlier chunk. */
  private pendingLine = new RowBuffer();
  private line = 0;
  private first = true;
  /** Longest line accepted (see MAX_ROW_BYTES). */
  maxRowBytes = MAX_ROW_BYTES;

  constructor(private readonly onElement: (element: unknown, line: number) => void) {}

  /** Only the new chunk is searched for line ends; a line spanning chunks is gathered in pendingLine. */
  push(chunk: Uint8Array): void {
    let start = 0;
    if (this.first && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) start = 3;
    this.first = false;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl < 0) break;
      if (this.pendingLine.length > 0) {
        this.keep(chunk.subarray(start, nl));
        this.lineOf(this.pendingLine.view());
        this.pendingLine.clear();
      } else this.lineOf(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  private keep(bytes: Uint8Array): void {
    if (!this.pendingLine.append(bytes, this.maxRowBytes)) {
      const mb = Math.round(this.maxRowBytes / 1024 / 1024);
      throw new JsonFormatError(`Line ${this.line + 1} is longer than ${mb} MB`, { line: this.line + 1 });
    }
  }

  private lineOf(bytes: Uint8Array): void {
    this.line++;
    const text = decoder.decode(bytes).trim();
    if (text === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new JsonFormatError(`Invalid JSON on line ${this.line}: ${(error as Error).message}`, { line: this.line });
    }
    this.onElement(value, this.line);
  }

  end(): void {
    if (this.pendingLine.length > 0) this.lineOf(this.pendingLine.view());
    this.pendingLine.clear();
  }
}

// ---------------------------------------------------------------- one entry point for every format

export type DatasetFormat = 'csv' | 'tsv' | 'json' | 'jsonl';

export const FORMAT_BY_EXTENSION: Record<string, DatasetFormat> = {
  csv: 'csv',
  tsv: 'tsv',
  json: 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
};

export function formatOfFilename(name: string): DatasetFormat | null {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? null : (FORMAT_BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null);
}

export interface DetectorOptions {
  format: DatasetFormat;
  expected?: ExpectedColumn[] | null;
  /** For previews: stop after this many data rows. */
  rowLimit?: number;
  keepRows?: boolean;
  /** Longest row accepted (default MAX_ROW_BYTES). */
  maxRowBytes?: number;
}

export interface DatasetDetection extends DetectionResult {
  delimiter: string | null;
  /** Rows kept for a preview, as objects keyed by column name (CSV cells are their raw text). */
  rows: Record<string, unknown>[];
  /** True when rowLimit stopped reading early. */
  truncated: boolean;
}

const SNIFF_BYTES = 64 * 1024;

/**
 * Streaming detector for any supported format: push chunks, then finish(). CSV waits for the first
 * 64 KB to pick the delimiter. JSON errors are thrown as JsonFormatError.
 */
export class DatasetDetector {
  private csv: CsvProfiler | null = null;
  private objects: ObjectRowProfiler | null = null;
  private reader: JsonArrayReader | JsonLinesReader | null = null;
  private sniffed: Uint8Array[] = [];
  private sniffedBytes = 0;
  private delimiter: string | null = null;
  private stopped = false;

  constructor(private readonly options: DetectorOptions) {
    const limit = options.rowLimit ?? Infinity;
    if (options.format === 'json' || options.format === 'jsonl') {
      this.objects = new ObjectRowProfiler(options.expected, options.keepRows);
      const onElement = (element: unknown, where: number) => {
        if (this.stopped) return;
        this.objects!.add(element, options.format === 'json' ? `Element ${where + 1} of the array` : `Line ${where}`);
        if (this.objects!.profiler.rowCount >= limit) this.stopped = true;
      };
      this.reader = options.format === 'json' ? new JsonArrayReader(onElement) : new JsonLinesReader(onElement);
      this.reader.maxRowBytes = options.maxRowBytes ?? MAX_ROW_BYTES;
    } else if (options.format === 'tsv') {
      this.delimiter = '\t';
      this.csv = new CsvProfiler('\t', options.expected, limit, options.keepRows);
      this.csv.maxRowBytes = options.maxRowBytes ?? MAX_ROW_BYTES;
    }
  }

  /** True once rowLimit rows were read: the caller may stop reading. */
  get done(): boolean {
    return this.stopped || (this.csv?.done ?? false);
  }

  push(chunk: Uint8Array): void {
    if (this.done) return;
    if (this.reader) {
      this.reader.push(chunk);
      return;
    }
    if (!this.csv) {
      this.sniffed.push(chunk);
      this.sniffedBytes += chunk.length;
      if (this.sniffedBytes >= SNIFF_BYTES) this.startCsv();
      return;
    }
    this.csv.push(chunk);
  }

  private startCsv(): void {
    const head = new Uint8Array(this.sniffedBytes);
    let o = 0;
    for (const c of this.sniffed) {
      head.set(c, o);
      o += c.length;
    }
    this.sniffed = [];
    this.delimiter = detectDelimiter(decoder.decode(head.subarray(0, SNIFF_BYTES)));
    this.csv = new CsvProfiler(this.delimiter, this.options.expected, this.options.rowLimit ?? Infinity, this.options.keepRows);
    this.csv.maxRowBytes = this.options.maxRowBytes ?? MAX_ROW_BYTES;
    this.csv.push(head);
  }

  finish(): DatasetDetection {
    let result: DetectionResult;
    let rows: Record<string, unknown>[];
    if (this.reader) {
      if (!this.stopped) this.reader.end();
      result = this.objects!.finish();
      rows = this.objects!.keptRows;
    } else {
      if (!this.csv) this.startCsv();
      if (!this.csv!.done) this.csv!.end();
      result = this.csv!.finish();
      const names = this.csv!.columnNames;
      rows = this.csv!.keptRows.map((cells) => Object.fromEntries(names.map((n, i) => [n, cells[i] ?? null])));
    }
    return { ...result, delimiter: this.delimiter, rows, truncated: this.done };
  }
}

/** Converts a cell's text to the column's type for display (preview tables). */
export function typedCell(text: unknown, type: ColumnType): unknown {
  if (typeof text !== 'string') return text ?? null;
  const kind = classifyString(text);
  if (kind === Kind.Null) return null;
  if ((type === 'integer' || type === 'number') && (kind === Kind.Integer || kind === Kind.Number)) return classified[0]!;
  if (type === 'boolean' && kind === Kind.Boolean) return text.trim().toLowerCase() === 'true';
  return text;
}
