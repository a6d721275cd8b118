/** What happens when the disk refuses a write: no caller is told "saved", and memory matches the disk again. */
import { writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JsonStore } from '../../../../../api/storage/json/jsonStore';
import { makeRun } from '../../../../helpers/fixtures';
import { tempDir } from '../../../../helpers/tmp';

const failNext = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../../../api/storage/durableFile', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../../../api/storage/durableFile')>();
  class FailingLog extends real.AppendLog {
    override async append(parts: Uint8Array[]): Promise<void> {
      if (failNext.count > 0) {
        failNext.count--;
        // Half of it reaches the file before the failure, as a full disk would leave it.
        const half = Buffer.concat(parts).subarray(0, 10);
        await writeFile(this.file, half, { flag: 'a' });
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      }
      return super.append(parts);
    }
  }
  return { ...real, AppendLog: FailingLog };
});

describe('JsonStore when a flush fails', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  it('rejects the writes of that flush and rolls memory back to the durable state', async () => {
    const store = await JsonStore.open(tmp.dir, { log: () => {} });
    const kept = await store.createRun(makeRun({ name: 'kept' }));
    failNext.count = 1;
    await expect(store.createRun(makeRun({ name: 'lost' }))).rejects.toThrow(/ENOSPC/);
    const page = await store.searchRuns({ limit: 10, offset: 0 });
    expect(page.items.map((r) => r.id)).toEqual([kept.id]);
    // The store keeps working once the disk does.
    await store.createRun(makeRun({ name: 'after' }));
    expect((await store.searchRuns({ limit: 10, offset: 0 })).total).toBe(2);
    await store.close();
    // The half-written entry was cut off: a reopen sees exactly the acknowledged runs.
    const reopened = await JsonStore.open(tmp.dir, { log: () => {} });
    expect((await reopened.searchRuns({ limit: 10, offset: 0 })).items.map((r) => r.name)).toEqual(['after', 'kept']);
    await reopened.close();
  });
});
