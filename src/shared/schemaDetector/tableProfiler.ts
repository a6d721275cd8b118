/** The profiler over rows: every column of a table, row by row, in one pass. */
import { cell, classified, classifyBytes, classifyString, decoder, encodeScratch, KEY, Kind, kindFits, scratch, VALUE } from './classify';
import { ColumnProfile, type ColumnStats, type ValueText } from './columnProfile';
import { hashBytesToKey } from './distinct';
import { type ExpectedColumn, MAX_VIOLATIONS, missingColumnViolations, type SchemaViolation } from './schemaDiff';

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
