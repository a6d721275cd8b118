/**
 * A faster path for formidable's multipart parser, for the bulk of a file part.
 *
 * formidable's MultipartParser skips part data by looking `boundary.length` bytes ahead and jumping
 * only when that byte cannot occur in the boundary. Boundaries are made of digits, letters and '-'
 * (curl: 24 dashes + 16 hex digits; browsers: "----WebKitFormBoundary" + 16 letters and digits),
 * which are common in CSV and JSON, so for datasets the skip rarely fires and the parser walks its
 * state machine byte by byte: about a third of a second of the main thread per 100 MB.
 *
 * Here, when a chunk starts in the middle of part data (and not inside a possible boundary), the
 * bytes before the first full boundary — found with Buffer.indexOf, a native search — are handed
 * on as part data at once; so are all but the last `boundary.length - 1` bytes of a chunk that
 * holds none. The original parser then handles the rest of the chunk (the boundary, the headers
 * that follow, or a possible boundary cut by the end of the chunk) exactly as before, so the events
 * are the same apart from part data coming in more pieces. If formidable's internals ever stop
 * looking as expected, the patch is not applied and formidable runs unchanged.
 */
import { MultipartParser } from 'formidable';

interface ParserInternals {
  state: number;
  index: number | null;
  boundary: Buffer | null;
  partDataMark?: number;
  _handleCallback(name: string, buffer: Buffer, start?: number, end?: number): void;
  _transform(buffer: Buffer, encoding: BufferEncoding, done: (error?: Error | null) => void): unknown;
}

const PART_DATA = (MultipartParser as unknown as { STATES?: Record<string, number> }).STATES?.PART_DATA;
const proto = MultipartParser.prototype as unknown as ParserInternals & { __modellabOriginalTransform?: ParserInternals['_transform'] };

/** Where in `buffer` a boundary could begin: the first full match, else the last bytes that may start one. */
export function plainPartDataLength(buffer: Buffer, boundary: Buffer): number {
  const found = buffer.indexOf(boundary);
  return found >= 0 ? found : Math.max(0, buffer.length - boundary.length + 1);
}

/**
 * formidable's own `_transform`, as it was before any patch (for tests that compare the two). Kept on
 * the prototype, so a second copy of this module (test isolation) still finds the original.
 */
export const formidableTransform = proto.__modellabOriginalTransform ?? proto._transform;

export function installMultipartSkip(): boolean {
  if (proto.__modellabOriginalTransform) return true;
  const original = formidableTransform;
  if (typeof PART_DATA !== 'number' || typeof original !== 'function' || typeof proto._handleCallback !== 'function') return false;
  proto._transform = function (this: ParserInternals, buffer: Buffer, encoding: BufferEncoding, done: (error?: Error | null) => void) {
    // Between chunks of part data the parser is in PART_DATA with no boundary prefix matched
    // (index 0) and its part-data mark at the chunk start (0).
    if (this.state === PART_DATA && this.index === 0 && this.partDataMark === 0 && this.boundary) {
      const plain = plainPartDataLength(buffer, this.boundary);
      if (plain > 0) {
        this._handleCallback('partData', buffer, 0, plain);
        buffer = buffer.subarray(plain);
      }
    }
    return original.call(this, buffer, encoding, done);
  };
  proto.__modellabOriginalTransform = original;
  return true;
}
