/**
 * Worker thread of the parallel CSV reader. A job is 'init' (file, delimiter, header, expected
 * schema), then 'block' messages whose bytes it reads from the file and profiles with one cumulative
 * CsvProfiler, then 'finish', which answers its column states. Workers are reused across jobs. Node only.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { CsvProfiler, type ExpectedColumn } from './schemaDetector';

export type WorkerRequest =
  | { type: 'init'; file: string; delimiter: string; header: string[]; expected: ExpectedColumn[] | null }
  | { type: 'block'; index: number; start: number; end: number; last: boolean }
  | { type: 'finish' };

let csv: CsvProfiler | null = null;
let fd: number | null = null;

/** One buffer reused for every block: nothing keeps a reference to a block's bytes after it is read. */
let scratch = Buffer.allocUnsafe(0);

function read(start: number, end: number): Buffer {
  if (scratch.length < end - start) scratch = Buffer.allocUnsafe(Math.max(end - start, 9 << 20));
  const buf = scratch.subarray(0, end - start);
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd!, buf, done, buf.length - done, start + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${start + done}`);
    done += n;
  }
  return buf;
}

function close() {
  if (fd !== null) closeSync(fd);
  fd = null;
}

parentPort!.on('message', (msg: WorkerRequest) => {
  try {
    if (msg.type === 'init') {
      close();
      csv = new CsvProfiler(msg.delimiter, msg.expected, Infinity, false, msg.header);
      fd = openSync(msg.file, 'r');
    } else if (msg.type === 'block') {
      const bytes = read(msg.start, msg.end);
      const zero = bytes.indexOf(0);
      if (zero >= 0) {
        parentPort!.postMessage({ type: 'error', kind: 'binary', offset: msg.start + zero });
        return;
      }
      if (!isUtf8(bytes)) {
        parentPort!.postMessage({ type: 'error', kind: 'utf8', offset: msg.start, end: msg.end });
        return;
      }
      // A plain Uint8Array view: the detector's hot loops then only ever see one array type.
      const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
      parentPort!.postMessage({ type: 'block', index: msg.index, ...csv!.readBlock(msg.index, view, msg.last) });
    } else {
      close();
      const p = csv!.profiler;
      parentPort!.postMessage({
        type: 'state',
        columns: p.columns.map((c) => c.state()),
        violations: p.violations,
        violationCount: p.violationCount,
        raggedRows: csv!.raggedRows,
        raggedInBlocks: csv!.raggedInBlocks,
        warnings: p.warnings,
      });
      csv = null;
    }
  } catch (error) {
    parentPort!.postMessage({ type: 'error', kind: 'internal', message: (error as Error).message });
  }
});
