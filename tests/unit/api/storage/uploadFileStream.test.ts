import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUploadFileStream } from '../../../../api/storage/durableFile';
import { tempDir } from '../../../helpers/tmp';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

const MB = 1024 * 1024;
const chunkOf = (i: number) => Buffer.alloc(64 * 1024, i % 251);

/** Writes like a socket does, honouring backpressure. */
async function writeChunks(stream: NodeJS.WritableStream, from: number, to: number) {
  for (let i = from; i < to; i++) if (!stream.write(chunkOf(i))) await once(stream, 'drain');
}

describe('createUploadFileStream', () => {
  it('syncs to disk while the upload goes on, and all of it before it finishes', async () => {
    const file = path.join(tmp.dir, 'upload.bin');
    const seen: number[] = [];
    const stream = createUploadFileStream(file, (chunk) => {
      // A piece is announced only once it is in the file, and pieces come in order.
      seen.push(chunk[0]!);
      expect(statSync(file).size).toBeGreaterThanOrEqual(seen.length * 64 * 1024);
    });
    await writeChunks(stream, 0, 20 * 16); // 20 MB: past the first sync point (every 4 MB)
    for (let wait = 0; stream.synced === 0 && wait < 200; wait++) await new Promise((r) => setTimeout(r, 25));
    expect(stream.synced).toBeGreaterThanOrEqual(4 * MB); // synced in the background, before the end
    expect(stream.synced).toBeLessThanOrEqual(stream.written);
    await writeChunks(stream, 20 * 16, 40 * 16);
    stream.end();
    await once(stream, 'finish');
    expect(stream.written).toBe(40 * MB);
    expect(stream.synced).toBe(40 * MB);
    expect(seen).toEqual(Array.from({ length: 40 * 16 }, (_, i) => i % 251));
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(40 * MB);
    expect(bytes[0]).toBe(0);
    expect(bytes[bytes.length - 1]).toBe((40 * 16 - 1) % 251);
  });

  it('finishes an empty file (synced, zero bytes)', async () => {
    const file = path.join(tmp.dir, 'empty.csv');
    const stream = createUploadFileStream(file);
    stream.end();
    await once(stream, 'finish');
    expect(statSync(file).size).toBe(0);
    expect(stream.synced).toBe(0);
  });

  it('never overwrites an existing file, and reports it as an error', async () => {
    const file = path.join(tmp.dir, 'taken.csv');
    writeFileSync(file, 'keep me');
    const stream = createUploadFileStream(file);
    const [error] = (await once(stream, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('EEXIST');
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });
});
