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
import type { ColumnType } from '../contract/types';
import { classified, classifyString, decoder, Kind } from './classify';
import { CsvProfiler, detectDelimiter } from './csv';
import { JsonArrayReader, JsonLinesReader, ObjectRowProfiler } from './json';
import { MAX_ROW_BYTES } from './rowBuffer';
import type { ExpectedColumn } from './schemaDiff';
import type { DetectionResult } from './tableProfiler';
export { classifiedValue, classifyBytes, classifyString, Kind, kindFits, typeFromMask } from './classify';
export { ColumnProfile, type ColumnState, type ColumnStats, DISTINCT_EXACT_LIMIT, type TallyEntries, type ValueText } from './columnProfile';
export { CSV_DELIMITERS, CsvProfiler, detectDelimiter } from './csv';
export { JsonArrayReader, JsonFormatError, JsonLinesReader, ObjectRowProfiler } from './json';
export { DatasetFormatError, MAX_ROW_BYTES, RowBuffer } from './rowBuffer';
export { diffSchemas, type ExpectedColumn, MAX_VIOLATIONS, missingColumnViolations, raggedRowsWarning, type SchemaChanges, type SchemaViolation } from './schemaDiff';
export { type DetectionResult, TableProfiler } from './tableProfiler';

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
