/**
 * Events between processes on one database: what one relay sends, every other relay delivers — all
 * of a burst, in the order sent, equal events as often as sent (the burst goes out in one statement,
 * in which PostgreSQL would fold equal notifications) — and none back to its sender.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgEventRelay } from '../../../../../api/storage/postgres/pgEventRelay';
import type { ModelLabEvent } from '../../../../../api/eventBus';
import { usePostgres } from '../../../../helpers/postgres';

const server = usePostgres();
let db: { url: string; drop: () => Promise<void> };
let pool: pg.Pool;
beforeAll(async () => {
  db = await server.createDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => {});
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

type Event = Omit<ModelLabEvent, 'id'>;

it('delivers a burst to the other relays, in order and whole, and not to its sender', async () => {
  const log: string[] = [];
  const [sender, other] = await Promise.all([PgEventRelay.start(db.url, pool, (m) => log.push(m)), PgEventRelay.start(db.url, pool, (m) => log.push(m))]);
  const heard: { sender: Event[]; other: Event[] } = { sender: [], other: [] };
  sender.onEvent((e) => heard.sender.push(e));
  other.onEvent((e) => heard.other.push(e));
  const at = '2026-12-05T00:00:00.000Z';
  const burst: Event[] = Array.from({ length: 600 }, (_, i) => ({ type: 'run.updated', data: { id: `run-${Math.floor(i / 2)}`, fields: ['tags'] }, at }));
  burst.push({ type: 'run.created', data: { id: 'big', notes: 'x'.repeat(10_000), experimentId: '0' }, at }); // over NOTIFY's limit: its ids only
  for (const event of burst) sender.send(event);
  await expect.poll(() => heard.other.length, { timeout: 10_000 }).toBe(burst.length);
  expect(heard.other.slice(0, -1)).toEqual(burst.slice(0, -1)); // equal pairs both delivered, in order
  expect(heard.other.at(-1)).toEqual({ type: 'run.created', data: { id: 'big', experimentId: '0' }, at });
  expect(heard.sender).toEqual([]);
  await Promise.all([sender.close(), other.close()]);
  expect(log).toEqual([]);
});

it('sends what was sent before it closed', async () => {
  const [sender, other] = await Promise.all([PgEventRelay.start(db.url, pool, () => {}), PgEventRelay.start(db.url, pool, () => {})]);
  const heard: Event[] = [];
  other.onEvent((e) => heard.push(e));
  sender.send({ type: 'experiment.created', data: { id: '5', name: 'last' }, at: '2026-12-05T00:00:00.000Z' });
  await sender.close();
  await expect.poll(() => heard.length, { timeout: 10_000 }).toBe(1);
  await other.close();
});
