/**
 * AuthService's defences that a stopwatch cannot show reliably on a shared machine, shown by
 * counting instead: an unknown user's sign-in (and Basic credentials) runs scrypt exactly as often
 * as a known user's wrong password does (the decoy hash), and failed sign-ins from one address are
 * limited across every account name it tries.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const scryptCalls = vi.hoisted(() => ({ n: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    scrypt: (...args: Parameters<typeof crypto.scrypt>) => {
      scryptCalls.n++;
      return (crypto.scrypt as (...a: unknown[]) => void)(...args);
    },
  };
});

const { AuthService, LOGIN_FAILURES_PER_ADDRESS } = await import('../../../../api/services/auth');
const { JsonStore } = await import('../../../../api/storage/json/jsonStore');
const { tempDir } = await import('../../../helpers/tmp');

let tmp: Awaited<ReturnType<typeof tempDir>>;
let store: Awaited<ReturnType<typeof JsonStore.open>>;
let auth: InstanceType<typeof AuthService>;
beforeEach(async () => {
  tmp = await tempDir();
  store = await JsonStore.open(tmp.dir, { log: () => {} });
  auth = new AuthService(store);
  await auth.createUser({ name: 'known', password: 'known-password', role: 'viewer' });
});
afterEach(async () => {
  await store.close();
  await tmp.cleanup();
});

/** How many scrypt hashes an action ran (after the decoy's own, made once). */
async function hashesOf(action: () => Promise<unknown>): Promise<number> {
  await auth.login('warm-up', 'x', '10.0.0.9').catch(() => undefined); // the decoy hash exists from here on
  const before = scryptCalls.n;
  await action().catch(() => undefined);
  return scryptCalls.n - before;
}

describe('the decoy hash', () => {
  it('makes an unknown user cost one scrypt, as a known user with a wrong password does', async () => {
    const wrong = await hashesOf(() => auth.login('known', 'wrong-password', '10.0.0.1'));
    const unknown = await hashesOf(() => auth.login('nobody-at-all', 'wrong-password', '10.0.0.2'));
    const right = await hashesOf(() => auth.login('known', 'known-password', '10.0.0.3'));
    expect([wrong, unknown, right]).toEqual([1, 1, 1]);
  });

  it('does the same for Basic credentials', async () => {
    const wrong = await hashesOf(() => auth.fromBasic('known', 'wrong-password', '10.0.0.4'));
    const unknown = await hashesOf(() => auth.fromBasic('nobody-at-all', 'wrong-password', '10.0.0.5'));
    expect([wrong, unknown]).toEqual([1, 1]);
  });
});

describe('the per-address limit', () => {
  it('answers 429 to an address after its failures across many account names, and not to another address', { timeout: 120_000 }, async () => {
    for (let i = 0; i < LOGIN_FAILURES_PER_ADDRESS; i++) {
      await expect(auth.login(`name-${i}`, 'guess', '10.1.1.1')).rejects.toMatchObject({ status: 401 });
    }
    await expect(auth.login('known', 'known-password', '10.1.1.1')).rejects.toMatchObject({ status: 429, code: 'too_many_requests' });
    const before = scryptCalls.n;
    await expect(auth.login('fresh-name', 'guess', '10.1.1.1')).rejects.toMatchObject({ status: 429 });
    expect(scryptCalls.n).toBe(before); // refused before any hashing
    await expect(auth.login('known', 'known-password', '10.2.2.2')).resolves.toMatchObject({ user: { name: 'known' } });
  });
});
