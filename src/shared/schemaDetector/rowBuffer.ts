/** Rows that span chunks: one growing buffer, with a size limit, for CSV records, JSON lines and array elements. */

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
