/** CSV and TSV: delimiter detection, RFC 4180 quoting, and the streaming reader. */
import { decoder } from './classify';
import { DatasetFormatError, MAX_ROW_BYTES, RowBuffer } from './rowBuffer';
import { type ExpectedColumn, raggedRowsWarning } from './schemaDiff';
import { type DetectionResult, TableProfiler } from './tableProfiler';

export const QUOTE = 34;
export const LF = 10;
export const CR = 13;
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
