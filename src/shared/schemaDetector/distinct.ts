/** Counting distinct values: exact up to DISTINCT_EXACT_LIMIT, then a HyperLogLog estimate; value hashing. */
import { cell, KEY } from './classify';
import type { TallyEntries } from './columnProfile';

/** Writes a 53-bit hash of bytes (two 32-bit mixes) to cell[KEY]: the key for exact distinct counting. */
export function hashBytesToKey(buf: Uint8Array, start: number, end: number): void {
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
export function mix(value: number): number {
  if ((value | 0) === value) return fmix32(value ^ 0x9e3779b9);
  f64[0] = value;
  return fmix32(u32[0]! ^ fmix32(u32[1]! + 0x9e3779b9));
}

/** HyperLogLog with 2^14 registers (standard error ≈ 0.8%). */
export class HyperLogLog {
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
export class TallyTable {
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
