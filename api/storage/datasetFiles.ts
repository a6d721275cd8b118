/**
 * Server-side reading of dataset files: streams a stored file through the detector in 1 MB chunks,
 * refusing binary data and invalid UTF-8. Node only (the detector itself is browser-safe).
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  DatasetDetector,
  DatasetFormatError,
  type DatasetDetection,
  type DatasetFormat,
  type ExpectedColumn,
} from '../../src/shared/schemaDetector';
import { AppError, unprocessable, unsupportedMediaType } from '../../src/shared/errors';

const CHUNK = 1 << 20;

/** Length of the longest prefix of `buf` that does not end inside a UTF-8 sequence. */
function completeUtf8Prefix(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(4, n); back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return back < need ? n - back : n;
  }
  return n;
}

export interface AnalyzeOptions {
  format: DatasetFormat;
  expected?: ExpectedColumn[] | null;
  rowLimit?: number;
  keepRows?: boolean;
}

/**
 * Reads the whole file (or rowLimit rows) through the detector: a local file, or a stream (a stored
 * version in a bucket). Throws AppError 415 for binary content, 422 for invalid UTF-8, malformed
 * JSON or a file without data.
 */
export async function analyzeDatasetFile(source: string | Readable, options: AnalyzeOptions): Promise<DatasetDetection> {
  const detector = new DatasetDetector(options);
  const stream = typeof source === 'string' ? createReadStream(source, { highWaterMark: CHUNK }) : source;
  let carry: Buffer | null = null;
  let offset = 0;
  try {
    for await (const raw of stream as AsyncIterable<Buffer>) {
      let chunk: Buffer = carry ? Buffer.concat([carry, raw]) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
      carry = null;
      const zero = chunk.indexOf(0);
      if (zero >= 0) throw unsupportedMediaType(`The file looks binary (a NUL byte at offset ${offset + zero}); datasets must be CSV, TSV, JSON or JSON Lines text`);
      const usable = completeUtf8Prefix(chunk);
      if (usable < chunk.length) {
        carry = chunk.subarray(usable);
        chunk = chunk.subarray(0, usable);
      }
      if (!isUtf8(chunk)) throw unprocessable(`The file is not valid UTF-8 text (in the bytes ${offset}–${offset + chunk.length}); save it as UTF-8 and upload again`);
      offset += chunk.length;
      // A plain Uint8Array view: the detector's hot loops then only ever see one array type.
      detector.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      if (detector.done) break;
    }
    if (carry && !detector.done) throw unprocessable('The file is not valid UTF-8 text (it ends inside a character)');
    return detector.finish();
  } catch (error) {
    if (error instanceof DatasetFormatError) throw unprocessable(error.message, error.position);
    if (error instanceof AppError) throw error;
    throw error;
  } finally {
    stream.destroy();
  }
}
