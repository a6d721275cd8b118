import { describe, expect, it } from 'vitest';
import { KeyedLock } from '../../../src/shared/keyedLock';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('KeyedLock', () => {
  it('runs holders of one key one at a time, in arrival order', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    let inside = 0;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        lock.run('run-1', async () => {
          inside++;
          expect(inside).toBe(1);
          events.push(`start ${i}`);
          await tick();
          events.push(`end ${i}`);
          inside--;
        }),
      ),
    );
    expect(events).toEqual(Array.from({ length: 8 }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
    expect(lock.size).toBe(0);
  });

  it('lets other keys go on while one is held', async () => {
    const lock = new KeyedLock();
    let release!: () => void;
    const held = lock.run('a', () => new Promise<void>((resolve) => (release = resolve)));
    await expect(lock.run('b', async () => 'b done')).resolves.toBe('b done');
    release();
    await held;
  });

  it('passes the next holder on when one fails, and gives the failure to its caller', async () => {
    const lock = new KeyedLock();
    const failed = lock.run('a', async () => {
      throw new Error('boom');
    });
    const next = lock.run('a', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
    expect(lock.size).toBe(0);
  });
});
