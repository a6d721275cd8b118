import { readdirSync, readlinkSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_OPEN_SERIES, MetricSeriesStore } from '../../../../api/storage/metricSeries';
import { tempDir } from '../../../helpers/tmp';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let series: MetricSeriesStore;
beforeEach(async () => {
  tmp = await tempDir();
  series = new MetricSeriesStore(tmp.dir);
});
afterEach(async () => {
  await series.close();
  await tmp.cleanup();
});

/** This process's open files inside the data folder. */
const openFilesIn = (dir: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
    } catch {
      return false;
    }
  }).length;

describe('MetricSeriesStore', () => {
  it(`keeps at most ${MAX_OPEN_SERIES} runs' series files open, and reads an evicted run back from its file`, async () => {
    const runs = Array.from({ length: MAX_OPEN_SERIES + 100 }, (_, i) => `run${String(i).padStart(4, '0')}`);
    for (const runId of runs) await series.append(runId, [{ key: 'loss', value: 1, step: 0 }, { key: 'loss', value: 0.5, step: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 50)); // eviction runs after each open, in the background
    expect(openFilesIn(tmp.dir)).toBeLessThanOrEqual(MAX_OPEN_SERIES);
    expect(await series.points(runs[0]!, 'loss', 100)).toEqual([
      { step: 0, value: 1, timestamp: expect.any(Number) },
      { step: 1, value: 0.5, timestamp: expect.any(Number) },
    ]);
    await series.append(runs[0]!, [{ key: 'loss', value: 0.25 }]);
    expect((await series.summaries(runs[0]!))[0]).toMatchObject({ key: 'loss', count: 3, last: 0.25, lastStep: 2 });
  });
});
