/**
 * JsonStore's runs: the records by id in creation order, plus a compact entry per run with the
 * fields a plain list tests (lifecycle stage, status, experiment), kept in step with every change.
 *
 * Why: a page of the newest runs used to test every record, and the records (each parsed from its
 * own JSON, with different shapes) made each property read megamorphic — half of a plain page's
 * server time with 10,000 runs (measured with the inspector's profiler). The entries all have one
 * shape, and a page walks them newest first, cloning only the records it returns.
 */
import { RUN_FIELDS, RUN_STATUSES } from '../../../src/shared/contract/constants';
import type { LifecycleStage, Run, RunStatus } from '../../../src/shared/contract/types';
import { jsonOf, type Slot } from './records';

export interface RunEntry {
  id: string;
  /** Position in the creation order (columns are indexed by it). */
  index: number;
  slot: Slot<Run>;
  /** Readable, not deleted from the table. */
  live: boolean;
  ok: boolean;
  lifecycleStage: LifecycleStage | null;
  status: RunStatus | null;
  experimentId: string | null;
  /** The stored JSON has exactly the API's fields in the API's order (RUN_FIELDS): it can be sent as it is. */
  presentable: boolean;
}

function presentable(value: Run): boolean {
  const keys = Object.keys(value);
  return keys.length === RUN_FIELDS.length && keys.every((key, i) => key === RUN_FIELDS[i]);
}

function describe(entry: RunEntry, slot: Slot<Run>): void {
  entry.slot = slot;
  entry.ok = slot.ok;
  entry.lifecycleStage = slot.ok ? slot.value.lifecycleStage : null;
  entry.status = slot.ok ? slot.value.status : null;
  entry.experimentId = slot.ok ? slot.value.experimentId : null;
  entry.presentable = slot.ok && presentable(slot.value);
}

/** What a list asks of a run's own fields. */
export interface RunWhere {
  lifecycle: LifecycleStage | 'all';
  experimentIds: Set<string> | null;
  status: RunStatus | undefined;
}

const LIVE = 1;
const OK = 2;
const ACTIVE = 4;
const DELETED = 8;

/** The newest runs whose JSON is kept with them. */
const RECENT_JSON = 1000;

/** At most this many field columns are kept (the least recently used goes first). */
const MAX_COLUMNS = 32;

export class RunTable {
  private byId = new Map<string, RunEntry>();
  /**
   * Columns: one field's value for every run, by position, kept in step with every change. A filter
   * reads these contiguous arrays instead of each run's objects, which lie scattered over the heap:
   * the same generated filter took 1–3 ms over 10,000 stored runs and 0.6 ms over copies made in one
   * go (measured), the difference being cache misses.
   */
  private columns = new Map<string, { get: (run: Run) => unknown; values: unknown[] }>();
  /** Creation order (a re-set id keeps its place, as a Map's key does); deleted entries are skipped and compacted away. */
  private order: RunEntry[] = [];
  private deleted = 0;
  /** By position, what RunWhere tests: flags (live, readable, lifecycle), status code, experiment — read in a tight loop instead of the scattered entries. */
  private flags = new Uint8Array(1024);
  private statusCodes = new Uint8Array(1024);
  private experiments: (string | null)[] = [];

  private note(entry: RunEntry): void {
    const i = entry.index;
    if (i >= this.flags.length) {
      const size = Math.max(i + 1, this.flags.length * 2);
      const flags = new Uint8Array(size);
      flags.set(this.flags);
      this.flags = flags;
      const codes = new Uint8Array(size);
      codes.set(this.statusCodes);
      this.statusCodes = codes;
    }
    this.flags[i] = (entry.live ? LIVE : 0) | (entry.ok ? OK : 0) | (entry.lifecycleStage === 'active' ? ACTIVE : entry.lifecycleStage === 'deleted' ? DELETED : 0);
    this.statusCodes[i] = entry.status === null ? 0 : RUN_STATUSES.indexOf(entry.status) + 1;
    this.experiments[i] = entry.experimentId;
  }

  /**
   * Positions of the readable runs that `where` and `test` accept, newest first, with their number;
   * with `page`, only the positions in [offset, offset + limit) of that order are returned.
   */
  select(where: RunWhere, test: ((position: number) => boolean) | null, page?: { offset: number; limit: number }): { positions: number[]; total: number } {
    const { flags, statusCodes, experiments } = this;
    const need = LIVE | OK | (where.lifecycle === 'active' ? ACTIVE : where.lifecycle === 'deleted' ? DELETED : 0);
    const status = where.status === undefined ? 0 : RUN_STATUSES.indexOf(where.status) + 1;
    const ids = where.experimentIds;
    const positions: number[] = [];
    let total = 0;
    for (let i = this.order.length - 1; i >= 0; i--) {
      if ((flags[i]! & need) !== need) continue;
      if (status !== 0 && statusCodes[i] !== status) continue;
      if (ids !== null && !ids.has(experiments[i]!)) continue;
      if (test !== null && !test(i)) continue;
      if (!page || (total >= page.offset && positions.length < page.limit)) positions.push(i);
      total++;
    }
    return { positions, total };
  }

  /** The id of the run at a position (from select). */
  idAt(position: number): string {
    return this.order[position]!.id;
  }

  /** The readable run at a position (from select). */
  runAt(position: number): Run {
    return (this.order[position]!.slot as { value: Run }).value;
  }

  /** The stored JSON of the run at a position (a copy is JSON.parse of it). */
  jsonAt(position: number): string {
    return this.jsonOfEntry(this.order[position]!);
  }

  /**
   * Whether a run is among the RECENT_JSON newest, whose JSON is kept: the plain list, the most
   * asked-for page, presents them without serializing each again (see Slot for why the others do not
   * keep it).
   */
  isRecent(id: string): boolean {
    const entry = this.byId.get(id);
    return entry !== undefined && entry.index >= this.order.length - RECENT_JSON;
  }

  private jsonOfEntry(entry: RunEntry): string {
    const slot = entry.slot;
    if (slot.json !== undefined) return slot.json;
    const json = jsonOf(slot);
    if (slot.ok && entry.index >= this.order.length - RECENT_JSON) slot.json = json;
    return json;
  }

  /** The run at a position as the API presents it: its stored JSON when that has the API's fields in order. */
  presentedJsonAt(position: number): string {
    const entry = this.order[position]!;
    if (entry.presentable) return this.jsonOfEntry(entry);
    const run = (entry.slot as { value: Run }).value as unknown as Record<string, unknown>;
    return JSON.stringify(Object.fromEntries(RUN_FIELDS.map((key) => [key, run[key]])));
  }

  static from(slots: Map<string, Slot<Run>>): RunTable {
    const table = new RunTable();
    for (const [id, slot] of slots) table.set(id, slot);
    return table;
  }

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): Slot<Run> | undefined {
    return this.byId.get(id)?.slot;
  }

  set(id: string, slot: Slot<Run>): this {
    const existing = this.byId.get(id);
    if (existing) {
      describe(existing, slot);
      this.note(existing);
      for (const column of this.columns.values()) column.values[existing.index] = slot.ok ? column.get(slot.value) : undefined;
      return this;
    }
    const entry = { id, index: this.order.length, slot, live: true, ok: false, lifecycleStage: null, status: null, experimentId: null, presentable: false } as RunEntry;
    describe(entry, slot);
    this.byId.set(id, entry);
    this.order.push(entry);
    const leaving = this.order[this.order.length - 1 - RECENT_JSON];
    if (leaving?.slot.ok) leaving.slot.json = undefined; // no longer among the newest
    this.note(entry);
    for (const column of this.columns.values()) column.values.push(slot.ok ? column.get(slot.value) : undefined);
    return this;
  }

  delete(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.byId.delete(id);
    entry.live = false;
    this.note(entry);
    if (++this.deleted > 1024 && this.deleted * 2 > this.order.length) {
      this.order = this.order.filter((e) => e.live);
      this.order.forEach((e, i) => {
        e.index = i;
        this.note(e);
      });
      this.experiments.length = this.order.length;
      this.columns.clear(); // rebuilt on next use, in the new positions
      this.deleted = 0;
    }
    return true;
  }

  /** The slots in creation order (an array's iterator: a generator's resumption per run cost more than building the array). */
  values(): IterableIterator<Slot<Run>> {
    const slots: Slot<Run>[] = [];
    for (const entry of this.order) if (entry.live) slots.push(entry.slot);
    return slots[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, Slot<Run>]> {
    const pairs: [string, Slot<Run>][] = [];
    for (const entry of this.order) if (entry.live) pairs.push([entry.id, entry.slot]);
    return pairs[Symbol.iterator]();
  }

  /**
   * The values of a field for every run by position (built on first use, then kept current).
   * `reader` makes the field's reader, called only when the column is built.
   */
  column(key: string, reader: () => (run: Run) => unknown): unknown[] {
    let column = this.columns.get(key);
    if (column) {
      this.columns.delete(key); // most recently used last
      this.columns.set(key, column);
      return column.values;
    }
    const get = reader();
    const values = this.order.map((e) => (e.live && e.slot.ok ? get(e.slot.value) : undefined));
    column = { get, values };
    this.columns.set(key, column);
    if (this.columns.size > MAX_COLUMNS) this.columns.delete(this.columns.keys().next().value!);
    return values;
  }
}
