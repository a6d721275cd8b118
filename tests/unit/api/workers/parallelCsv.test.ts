/** The parallel CSV reader must give exactly what the sequential one gives, whatever the cut points. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyzeDatasetFile } from '../../../../api/storage/datasetFiles';
import { csvWorkers, ParallelCsvReader, WorkerPool } from '../../../../api/workers/parallelCsv';
import type { ExpectedColumn } from '../../../../src/shared/schemaDetector';
import { tempDir } from '../../../helpers/tmp';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});
afterAll(async () => {
  await csvWorkers.close();
});

/** Feeds the file as an upload would (64 KB writes), with small blocks so there are many cuts. */
async function readInParallel(file: string, expected: ExpectedColumn[] | null = null, blockBytes = 16 * 1024) {
  const bytes = readFileSync(file);
  const reader = new ParallelCsvReader(file, 'csv', expected, 2, blockBytes);
  for (let i = 0; i < bytes.length; i += 65536) reader.onWritten(bytes.subarray(i, i + 65536));
  reader.complete();
  return reader.result();
}

function makeCsv(rows: number, row: (i: number) => string, header = 'id,score,name,day,flag') {
  const file = path.join(tmp.dir, 'data.csv');
  let text = `\ufeff${header}\r\n`;
  for (let i = 0; i < rows; i++) text += `${row(i)}\r\n`;
  writeFileSync(file, text);
  return file;
}

const stable = (columns: { topValues: unknown; examples: unknown; std: number | null; mean: unknown }[]) =>
  columns.map(({ topValues: _t, examples: _e, std, mean, ...rest }) => ({ ...rest, std: std === null ? null : Number(std.toPrecision(9)), mean: typeof mean === 'number' ? Number(mean.toPrecision(9)) : mean }));

describe('ParallelCsvReader', () => {
  it('matches the sequential reader: counts, types, statistics, exact distinct counts, warnings', async () => {
    const file = makeCsv(20_000, (i) => `${i},${i % 7 === 0 ? '' : (i * 0.37).toFixed(3)},"n, ${i % 50}",2024-01-${String(1 + (i % 28)).padStart(2, '0')},${i % 3 === 0}`);
    const parallel = await readInParallel(file);
    const sequential = await analyzeDatasetFile(file, { format: 'csv' });
    expect(parallel).not.toBeNull();
    expect(parallel!.rowCount).toBe(20_000);
    expect(stable(parallel!.columns)).toEqual(stable(sequential.columns));
    expect(parallel!.columns.find((c) => c.name === 'name')!.topValues).toEqual(sequential.columns.find((c) => c.name === 'name')!.topValues);
    expect(parallel!.warnings).toEqual(sequential.warnings);
  });

  it('gives the same answer from workers that warmed up on generated rows first', async () => {
    await csvWorkers.close();
    await csvWorkers.warm(2); // resolves only once both workers have run their warm-up and said so
    const file = makeCsv(20_000, (i) => `${i},${i % 5 === 0 ? 'NA' : (i * 1.25).toFixed(2)},"x ${i % 9}",2023-12-${String(1 + (i % 31)).padStart(2, '0')},${i % 2 === 0}`);
    const parallel = await readInParallel(file);
    const sequential = await analyzeDatasetFile(file, { format: 'csv' });
    expect(stable(parallel!.columns)).toEqual(stable(sequential.columns));
    expect(parallel!.rowCount).toBe(20_000);
  });

  it('keeps the threads of an upload for the next one, and ends them after the idle time', async () => {
    const pool = new WorkerPool(300);
    await pool.warm(2);
    expect(pool.size).toBe(2);
    const worker = pool.acquire();
    expect(pool.size).toBe(1);
    pool.release(worker); // the countdown starts again
    expect(pool.size).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(pool.size).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(pool.size).toBe(0);
  });

  it('puts ragged-row line numbers and schema violations at their place in the whole file', async () => {
    const file = makeCsv(20_000, (i) => (i === 3 || i === 15_000 ? `${i},1.5` : `${i},${i === 12_345 ? 'oops' : '2.5'},a,2024-01-01,true`));
    const expected: ExpectedColumn[] = [
      { name: 'id', type: 'integer' },
      { name: 'score', type: 'number' },
      { name: 'missing', type: 'string' },
    ];
    const parallel = await readInParallel(file, expected);
    const sequential = await analyzeDatasetFile(file, { format: 'csv', expected });
    expect(parallel!.warnings).toEqual(sequential.warnings);
    expect(parallel!.warnings[0]).toMatch(/line\(s\) 5, 15002/);
    expect(parallel!.violations).toEqual(sequential.violations);
    expect(parallel!.violations).toContainEqual({ row: 12_346, column: 'score', value: 'oops', expected: 'number', problem: 'wrong_type' });
    expect(parallel!.violationCount).toBe(sequential.violationCount);
  });

  it('gives up (null) on a row longer than a row may be, instead of handing a worker one huge block', async () => {
    const file = path.join(tmp.dir, 'data.csv');
    writeFileSync(file, `a,b\n1,2\n${'x'.repeat(400_000)}\n3,4\n`); // no newline for 400 KB
    const bytes = readFileSync(file);
    const reader = new ParallelCsvReader(file, 'csv', null, 2, 16 * 1024, 100_000);
    for (let i = 0; i < bytes.length; i += 65536) reader.onWritten(bytes.subarray(i, i + 65536));
    reader.complete();
    expect(await reader.result()).toBeNull();
  });

  it('gives up (null) when a cut falls inside a quoted field, so the caller reads sequentially', async () => {
    // Every row has a newline inside quotes: most cuts land inside a quoted field.
    const file = makeCsv(5_000, (i) => `${i},1,"line one\nline two ${i}",2024-01-01,true`);
    expect(await readInParallel(file)).toBeNull();
  });

  it('reports binary content found by a worker as 415', async () => {
    const file = makeCsv(5_000, (i) => `${i},1,${i === 4000 ? 'bad\u0000byte' : 'ok'},2024-01-01,true`);
    await expect(readInParallel(file)).rejects.toMatchObject({ status: 415 });
  });
});
