/** JSON arrays and JSON Lines: the streaming readers. */
import { decoder } from './classify';
import { CR, LF, QUOTE } from './csv';
import { DatasetFormatError, MAX_ROW_BYTES, RowBuffer } from './rowBuffer';
import type { ExpectedColumn } from './schemaDiff';
import { type DetectionResult, TableProfiler } from './tableProfiler';

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
