/**
 * Reads a large CSV/TSV with two worker threads while it is still being uploaded. The upload writes
 * the file; every ~2 MB a block is cut after the next newline and handed to the less busy worker,
 * which reads it back from the page cache (small blocks keep both workers busy to the end). A cut inside a quoted field (a newline within quotes) is
 * detected afterwards (the block before it does not end at a row boundary); the result is then
 * null and the caller reads the file sequentially, so the guess never changes an answer. Node only.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { unprocessable, unsupportedMediaType, AppError } from '../../src/shared/errors';
import {
  ColumnProfile,
  type ColumnState,
  CsvProfiler,
  type DatasetDetection,
  detectDelimiter,
  type ExpectedColumn,
  MAX_ROW_BYTES,
  MAX_VIOLATIONS,
  missingColumnViolations,
  raggedRowsWarning,
  type SchemaViolation,
} from '../../src/shared/schemaDetector';
import type { WorkerRequest } from './csvBlockWorker';

const BLOCK_BYTES = 2 * 1024 * 1024;
const HEAD_BYTES = 64 * 1024;
/** Below this, starting worker threads costs more than it saves. */
export const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;

type WorkerReply =
  | { type: 'warmed' }
  | { type: 'block'; index: number; rows: number; lines: number; clean: boolean }
  | { type: 'error'; kind: 'binary' | 'utf8' | 'internal'; offset?: number; end?: number; message?: string }
  | {
      type: 'state';
      columns: ColumnState[];
      violations: SchemaViolation[];
      violationCount: number;
      raggedRows: number;
      raggedInBlocks: [number, number][];
      warnings: string[];
    };

/**
 * Idle worker threads kept for the next upload: starting one (loading the TypeScript loader and the
 * detector) takes a few hundred milliseconds. The threads of an upload stay for the next one and end
 * after `idleMs` without use: kept from server start, two warm threads cost every server 82 MB of
 * RSS (measured: an idle server at 204 MB with them, 122 MB without), for the first upload's sake.
 */
export class WorkerPool {
  private idle: Worker[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly idleMs = 5 * 60_000) {}

  /** Idle threads now (tests). */
  get size(): number {
    return this.idle.length;
  }

  /** (Re)starts the countdown after which the idle threads end. */
  private touch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.close();
    }, this.idleMs);
    this.timer.unref();
  }

  /**
   * Starts idle workers up to `count`, which also warm up their detector code (see csvBlockWorker);
   * resolves when they are done (callers need not wait: a job sent meanwhile queues behind it).
   */
  warm(count: number): Promise<void> {
    const warming: Promise<void>[] = [];
    while (this.idle.length < count) {
      const worker = this.spawn();
      warming.push(
        new Promise((resolve) => {
          const onReply = (reply: WorkerReply) => {
            if (reply.type !== 'warmed') return;
            worker.off('message', onReply);
            resolve();
          };
          worker.on('message', onReply);
          // A worker that fails or is stopped (close()) has nothing left to wait for.
          worker.once('error', () => resolve());
          worker.once('exit', () => resolve());
        }),
      );
      const request: WorkerRequest = { type: 'warm' };
      worker.postMessage(request);
      this.idle.push(worker);
    }
    return Promise.all(warming).then(() => this.touch()); // idle from when they are ready
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./csvWorkerBootstrap.mjs', import.meta.url));
    worker.unref(); // an idle pool never keeps the process alive
    worker.on('error', () => this.discard(worker));
    return worker;
  }

  acquire(): Worker {
    const worker = this.idle.pop() ?? this.spawn();
    worker.ref();
    return worker;
  }

  release(worker: Worker): void {
    worker.removeAllListeners('message');
    worker.unref();
    this.idle.push(worker);
    this.touch();
  }

  discard(worker: Worker): void {
    this.idle = this.idle.filter((w) => w !== worker);
    void worker.terminate();
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const all = this.idle;
    this.idle = [];
    await Promise.all(all.map((w) => w.terminate()));
  }
}

export const csvWorkers = new WorkerPool();

interface Lane {
  worker: Worker;
  pendingBytes: number;
  blocks: number[];
  replies: ((reply: WorkerReply) => void)[];
}

export class ParallelCsvReader {
  private head: Buffer[] = [];
  private headBytes = 0;
  private written = 0;
  private header: { names: string[]; delimiter: string; dataStart: number; firstDataLine: number; warnings: string[] } | null = null;
  private blockStart = 0;
  private nextIndex = 0;
  private lanes: Lane[] = [];
  private blockInfo: { rows: number; lines: number; clean: boolean }[] = [];
  private pendingBlocks = 0;
  private failure: AppError | Error | null = null;
  private givenUp = false;
  private settled: Promise<void>;
  private settle!: () => void;
  private completed = false;
  /** The latest bytes seen, to find the newline after a cut target. */
  private tail: { offset: number; bytes: Buffer } | null = null;

  constructor(
    private readonly file: string,
    private readonly format: 'csv' | 'tsv',
    readonly expected: ExpectedColumn[] | null,
    private readonly workers = Math.max(2, Math.min(4, os.availableParallelism())),
    private readonly blockBytes = BLOCK_BYTES,
    private readonly maxRowBytes = MAX_ROW_BYTES,
  ) {
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  /** Call after `chunk` (the bytes at `offset`) has been written to the file. */
  onWritten(chunk: Buffer): void {
    const offset = this.written;
    this.written += chunk.length;
    if (this.givenUp || this.failure) return;
    if (!this.header) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes >= HEAD_BYTES) this.readHeader(false);
      if (!this.header) return;
    }
    this.tail = { offset, bytes: chunk };
    this.cutBlocks(false);
  }

  /** The upload finished: everything is in the file. */
  complete(): void {
    this.completed = true;
    if (this.givenUp || this.failure) return this.maybeSettle();
    if (!this.header) this.readHeader(true);
    if (this.header && !this.givenUp) this.cutBlocks(true);
    this.maybeSettle();
  }

  /** Stops the workers (an upload that failed, or a result nobody wants). */
  abort(): void {
    this.givenUp = true;
    for (const lane of this.lanes) csvWorkers.discard(lane.worker);
    this.lanes = [];
    this.settle();
  }

  private readHeader(final: boolean): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    const delimiter = this.format === 'tsv' ? '\t' : detectDelimiter(head.subarray(0, HEAD_BYTES).toString('utf8'));
    const reader = new CsvProfiler(delimiter, null, 0);
    reader.push(head);
    if (final) reader.end();
    if (reader.columnNames.length === 0 || (!final && reader.lastRowEnd === 0)) {
      this.givenUp = true; // a header longer than 64 KB, or no header: not worth the trouble
      return;
    }
    // With rowLimit 0 CsvProfiler stops right after the header, so lastRowEnd is where data begins
    // (a BOM included).
    this.header = {
      names: reader.columnNames,
      delimiter,
      dataStart: reader.lastRowEnd,
      firstDataLine: reader.line,
      warnings: reader.profiler.warnings,
    };
    this.blockStart = reader.lastRowEnd;
    this.tail = { offset: 0, bytes: head };
  }

  private startLanes(): void {
    const header = this.header!;
    for (let i = 0; i < this.workers; i++) {
      const worker = csvWorkers.acquire();
      const lane: Lane = { worker, pendingBytes: 0, blocks: [], replies: [] };
      worker.on('message', (reply: WorkerReply) => this.onReply(lane, reply));
      worker.once('error', (error) => this.fail(error));
      const init: WorkerRequest = { type: 'init', file: this.file, delimiter: header.delimiter, header: header.names, expected: this.expected };
      worker.postMessage(init);
      this.lanes.push(lane);
    }
  }

  private cutBlocks(final: boolean): void {
    for (;;) {
      const target = this.blockStart + this.blockBytes;
      if (target >= this.written) break;
      const tail = this.tail!;
      const from = Math.max(target, tail.offset) - tail.offset;
      const newline = tail.bytes.indexOf(10, from);
      // No newline after the target in this chunk: the next chunk is searched from its start. With
      // none for longer than a row may be, leave it to the sequential reader (which refuses the row)
      // rather than hand a worker one huge block.
      if (newline < 0) {
        if (this.written - this.blockStart <= this.maxRowBytes + this.blockBytes) break;
        this.abort();
        return;
      }
      this.dispatch(this.blockStart, tail.offset + newline + 1, false);
    }
    if (final && this.blockStart < this.written) this.dispatch(this.blockStart, this.written, true);
    else if (final) this.lastBlockSent = true;
  }

  private lastBlockSent = false;
  private blockSizes: number[] = [];
  private finished = new Set<Lane>();

  private dispatch(start: number, end: number, last: boolean): void {
    if (this.lanes.length === 0) this.startLanes();
    const lane = this.lanes.reduce((a, b) => (b.pendingBytes < a.pendingBytes ? b : a));
    const index = this.nextIndex++;
    lane.pendingBytes += end - start;
    this.blockSizes[index] = end - start;
    lane.blocks.push(index);
    this.pendingBlocks++;
    const request: WorkerRequest = { type: 'block', index, start, end, last };
    lane.worker.postMessage(request);
    this.blockStart = end;
    if (last) this.lastBlockSent = true;
  }

  private onReply(lane: Lane, reply: WorkerReply): void {
    if (reply.type === 'warmed') return; // a warm-up that finished after the job began
    if (reply.type === 'error') {
      if (reply.kind === 'binary') this.fail(unsupportedMediaType(`The file looks binary (a NUL byte at offset ${reply.offset}); datasets must be CSV, TSV, JSON or JSON Lines text`));
      else if (reply.kind === 'utf8') this.fail(unprocessable(`The file is not valid UTF-8 text (in the bytes ${reply.offset}–${reply.end}); save it as UTF-8 and upload again`));
      else this.fail(new Error(reply.message));
      return;
    }
    if (reply.type === 'block') {
      this.blockInfo[reply.index] = reply;
      lane.pendingBytes -= this.blockSizes[reply.index]!;
      this.pendingBlocks--;
      this.maybeSettle();
      return;
    }
    lane.replies.shift()?.(reply);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.maybeSettle();
  }

  private maybeSettle(): void {
    if (this.failure || this.givenUp || (this.completed && this.lastBlockSent && this.pendingBlocks === 0)) this.settle();
  }

  /**
   * The detection of the whole file, or null when the parallel guess did not hold (or the file was
   * not suitable): then read it sequentially. Throws AppError 415/422 for binary or non-UTF-8 data.
   */
  async result(): Promise<DatasetDetection | null> {
    await this.settled;
    try {
      if (this.failure) throw this.failure;
      if (this.givenUp || !this.header) return null;
      const header = this.header;
      if (this.nextIndex === 0) return null; // header only: nothing parallel happened
      for (let i = 0; i < this.nextIndex - 1; i++) if (!this.blockInfo[i]?.clean) return null;

      const states = await Promise.all(
        this.lanes.map(
          (lane) =>
            new Promise<Extract<WorkerReply, { type: 'state' }>>((resolve) => {
              lane.replies.push((reply) => {
                this.finished.add(lane);
                resolve(reply as Extract<WorkerReply, { type: 'state' }>);
              });
              const request: WorkerRequest = { type: 'finish' };
              lane.worker.postMessage(request);
            }),
        ),
      );
      // Lanes ordered by their first block, so examples come out in file order as far as possible.
      const order = this.lanes.map((lane, i) => ({ i, first: lane.blocks.length ? Math.min(...lane.blocks) : Infinity })).sort((a, b) => a.first - b.first);
      const used = order.filter((o) => o.first !== Infinity).map((o) => states[o.i]!);

      const rowsBefore: number[] = [];
      const linesBefore: number[] = [];
      let rows = 0;
      let lines = 0;
      for (let b = 0; b < this.nextIndex; b++) {
        rowsBefore[b] = rows;
        linesBefore[b] = lines;
        rows += this.blockInfo[b]!.rows;
        lines += this.blockInfo[b]!.lines;
      }
      const columns = header.names.map((_, c) => ColumnProfile.merge(used.map((s) => s.columns[c]!)).result());

      const missing = missingColumnViolations(this.expected, header.names);
      const located = used
        .flatMap((s) => s.violations)
        .map((v): SchemaViolation => ({ row: v.row === null ? null : rowsBefore[v.block!]! + v.row, column: v.column, value: v.value, expected: v.expected, problem: v.problem }))
        .sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
      const violationCount = missing.length + used.reduce((sum, s) => sum + s.violationCount, 0);

      const raggedRows = used.reduce((sum, s) => sum + s.raggedRows, 0);
      const raggedLines = used
        .flatMap((s) => s.raggedInBlocks)
        .map(([block, line]) => header.firstDataLine + linesBefore[block]! + line - 1)
        .sort((a, b) => a - b)
        .slice(0, 5);
      const warnings = [...header.warnings, ...used.flatMap((s) => s.warnings)];
      if (raggedRows > 0) warnings.push(raggedRowsWarning(raggedRows, header.names.length, raggedLines));

      return {
        columns,
        rowCount: rows,
        warnings,
        violations: [...missing, ...located].slice(0, MAX_VIOLATIONS),
        violationCount,
        delimiter: header.delimiter,
        rows: [],
        truncated: false,
      };
    } catch (error) {
      for (const lane of this.lanes) csvWorkers.discard(lane.worker);
      this.lanes = [];
      throw error;
    } finally {
      // Workers that finished their job go back to the pool; any left mid-job are stopped.
      for (const lane of this.lanes) {
        if (this.finished.has(lane)) csvWorkers.release(lane.worker);
        else csvWorkers.discard(lane.worker);
      }
      this.lanes = [];
    }
  }
}
