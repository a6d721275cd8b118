/** The JSON store's audit file: no file until the first entry; a line torn by a crash is cut off on opening, and numbering goes on after the last whole entry. */
import { appendFile, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AuditLog } from '../../../../../api/storage/json/auditLog';
import { AUDIT_FILE } from '../../../../../src/shared/contract/constants';
import { tempDir } from '../../../../helpers/tmp';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => tmp.cleanup());

const entry = (i: number) => ({ at: '2026-01-01T00:00:00.000Z', user: 'ada', action: 'run.created', objectType: 'run', objectId: `r${i}`, address: '::1' });

it('writes no file until the first entry', async () => {
  const log = new AuditLog(tmp.dir);
  await log.open();
  expect(await log.list({ limit: 10, offset: 0 })).toEqual({ items: [], total: 0 });
  await log.close();
  expect(await readdir(tmp.dir)).toEqual([]);
});

it('cuts a torn last line on opening and numbers on from the last whole entry', async () => {
  const first = new AuditLog(tmp.dir);
  await first.open();
  await first.append([entry(1), entry(2)]);
  await first.close();
  await appendFile(path.join(tmp.dir, AUDIT_FILE), '{"seq":3,"at":"2026-01-01T00:00:00.0'); // the crash
  const second = new AuditLog(tmp.dir);
  await second.open();
  await second.append([entry(3)]);
  const { items, total } = await second.list({ limit: 10, offset: 0 });
  expect([total, items.map((e) => `${e.seq}:${e.objectId}`)]).toEqual([3, ['3:r3', '2:r2', '1:r1']]);
  await second.close();
  expect((await readFile(path.join(tmp.dir, AUDIT_FILE), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l).seq)).toEqual([1, 2, 3]);
});
