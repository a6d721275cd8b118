/** What happens when the disk refuses a write: no caller is told "saved", and memory matches the disk again. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JsonStore } from '../../src/utils/modellab/storage';
import { makeRun } from '../helpers/fixtures';
import { tempDir } from '../helpers/tmp';

const failNext = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/utils/modellab/durableFile', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/utils/modellab/durableFile')>();
  return {
    ...real,
    writeFileDurable: async (target: string, data: string) => {
      if (failNext.count > 0) {
        failNext.count--;
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      }
      return real.writeFileDurable(target, data);
    },
  };
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
    const page = await store.listRuns({ limit: 10, offset: 0 });
    expect(page.items.map((r) => r.id)).toEqual([kept.id]);
    // The store keeps working once the disk does.
    await store.createRun(makeRun({ name: 'after' }));
    expect((await store.listRuns({ limit: 10, offset: 0 })).total).toBe(2);
    await store.close();
  });
});
