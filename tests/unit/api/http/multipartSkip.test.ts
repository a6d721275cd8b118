import { MultipartParser } from 'formidable';
import { describe, expect, it } from 'vitest';
import { formidableTransform, installMultipartSkip, plainPartDataLength } from '../../../../api/http/multipartSkip';

type Event = { name: string; data?: string };

/** Runs a multipart body through formidable's parser in the given chunks; consecutive data events of one kind are joined. */
async function parse(body: Buffer, chunkSizes: number[], patched: boolean): Promise<{ events: Event[]; pieces: number[] }> {
  const parser = new MultipartParser();
  if (!patched) (parser as unknown as { _transform: unknown })._transform = formidableTransform;
  parser.initWithBoundary(boundaryOf(body));
  const events: Event[] = [];
  const pieces: number[] = [];
  parser.on('data', ({ name, buffer, start, end }: { name: string; buffer?: Buffer; start?: number; end?: number }) => {
    if (name === 'partData') pieces.push(end! - start!);
    const data = buffer ? buffer.toString('latin1', start, end) : undefined;
    const last = events[events.length - 1];
    if (data !== undefined && last?.name === name && last.data !== undefined) last.data += data;
    else events.push(data === undefined ? { name } : { name, data });
  });
  const ended = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
  });
  let offset = 0;
  for (let i = 0; offset < body.length; i++) {
    const size = chunkSizes[i % chunkSizes.length]!;
    parser.write(Buffer.from(body.subarray(offset, offset + size))); // a copy, as from a socket
    offset += size;
  }
  parser.end();
  await ended;
  return { events, pieces };
}

const boundaries = new WeakMap<Buffer, string>();
const boundaryOf = (body: Buffer) => boundaries.get(body)!;

function multipart(boundary: string, content: Buffer): Buffer {
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\niris\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  boundaries.set(body, boundary);
  return body;
}

/** Part content full of near misses: CRLFs, dashes, and every proper prefix of the delimiter. */
function trickyContent(boundary: string, size: number, seed: number): Buffer {
  const delimiter = `\r\n--${boundary}`;
  const pieces = ['1,2.5,abc\n', '\r\n', '\r\n-', '--', '\r\r\n--', 'x\r\n--', ...Array.from({ length: delimiter.length - 1 }, (_, k) => delimiter.slice(0, k + 1) + 'Q')];
  let out = '';
  while (out.length < size) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out += pieces[seed % pieces.length];
  }
  if (out.includes(delimiter)) throw new Error('the generated content must not hold the delimiter itself');
  return Buffer.from(out, 'latin1');
}

describe('formidable multipart skip', () => {
  it("installs on formidable's own parser, so a parser created the usual way hands on the bulk of a chunk", async () => {
    expect(installMultipartSkip()).toBe(true);
    expect(installMultipartSkip()).toBe(true); // a second call keeps the one patch
    const boundary = '----WebKitFormBoundary7MA4YWxkTrZu0gW';
    const body = multipart(boundary, Buffer.from('4,5.5,setosa\n'.repeat(20_000)));
    const fresh = await parse(body, [65536], true); // new MultipartParser(): the prototype's transform
    expect(fresh.pieces).toContain(65536 - (boundary.length + 4) + 1);
    expect(fresh.events).toEqual((await parse(body, [65536], false)).events);
  });

  it('finds where a boundary could begin: the first full one, else the last bytes that could start one', () => {
    const boundary = Buffer.from('\r\n--abc');
    expect(plainPartDataLength(Buffer.from('hello\r\n--abc--'), boundary)).toBe(5);
    expect(plainPartDataLength(Buffer.from('hello world'), boundary)).toBe(11 - boundary.length + 1);
    expect(plainPartDataLength(Buffer.from('hi'), boundary)).toBe(0);
  });

  const cases = [
    { boundary: '------------------------d74496d66958873e', label: 'curl-style' },
    { boundary: '----WebKitFormBoundary7MA4YWxkTrZu0gW', label: 'browser-style' },
    { boundary: '7', label: 'one character' },
  ];
  const chunkings = [[1], [2, 3], [7, 45, 46, 47], [4096], [65536], [1000, 1, 64, 9999]];

  for (const { boundary, label } of cases) {
    it(`gives the same parts as formidable alone, at every chunking (${label} boundary)`, async () => {
      const content = trickyContent(boundary, 20_000, boundary.length);
      const body = multipart(boundary, content);
      for (const chunks of chunkings) {
        const slow = await parse(body, chunks, false);
        const fast = await parse(body, chunks, true);
        expect(fast.events).toEqual(slow.events);
        const file = fast.events.filter((e) => e.name === 'partData')[1]!;
        expect(Buffer.from(file.data!, 'latin1').equals(content)).toBe(true);
      }
    });
  }

  it('hands on the bulk of a chunk in one piece (the parser checks only the last bytes itself)', async () => {
    const boundary = '------------------------0123456789abcdef';
    const delimiterLength = boundary.length + 4;
    const content = Buffer.from('0123456789,abcdef,2024-01-01\n'.repeat(40_000)); // the boundary's own characters, no CR
    const body = multipart(boundary, content);
    const fast = await parse(body, [65536], true);
    const slow = await parse(body, [65536], false);
    expect(fast.events).toEqual(slow.events);
    // A chunk wholly inside the file: everything but the last delimiterLength - 1 bytes goes on at once.
    expect(fast.pieces).toContain(65536 - delimiterLength + 1);
    expect(slow.pieces).not.toContain(65536 - delimiterLength + 1);
  });
});
