/** `modellab users`: adds a user with a scrypt-hashed password read from standard input, lists users, refuses bad input with nothing added. */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { usersCommand } from '../../../api/usersCommand';
import { verifyPassword } from '../../../api/services/auth';
import { JsonStore } from '../../../api/storage';
import { tempDir } from '../../helpers/tmp';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => tmp.cleanup());

const run = async (argv: string[], stdin = '') => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await usersCommand(argv, { MODELLAB_DATA_DIR: tmp.dir }, { input: Readable.from([stdin]), print: (l) => out.push(l), printError: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

it('adds a user whose password is stored only as its scrypt hash, and lists it', async () => {
  expect(await run(['add', 'ada', '--role', 'admin', '--password-stdin'], 'correct horse battery\n')).toEqual({ code: 0, out: "added admin 'ada'", err: '' });
  expect((await run(['list'])).out).toMatch(/^ada\s+admin$/);
  const store = await JsonStore.open(tmp.dir, { log: () => {} });
  try {
    const user = (await store.getAuthRecord('user', 'ada'))!;
    expect(user.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(user.passwordHash).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', user.passwordHash)).toBe(true);
    expect(await verifyPassword('correct horse batterx', user.passwordHash)).toBe(false);
  } finally {
    await store.close();
  }
  expect((await run(['add', 'ada', '--role', 'viewer', '--password-stdin'], 'another password\n')).err).toMatch(/already exists/);
});

it('refuses a bad name, role or short password, and a data folder a server holds, adding nothing', async () => {
  expect((await run(['add', '../evil', '--role', 'admin', '--password-stdin'], 'long enough pw\n')).code).toBe(2);
  expect((await run(['add', 'bob', '--role', 'root', '--password-stdin'], 'long enough pw\n')).code).toBe(2);
  expect(await run(['add', 'bob', '--role', 'viewer', '--password-stdin'], 'short\n')).toMatchObject({ code: 1, err: expect.stringMatching(/at least 8 characters; nothing was added/) });
  expect(await run(['add', 'bob', '--role', 'viewer', '--password-stdin'], '')).toMatchObject({ code: 1, err: expect.stringMatching(/no password/) });
  const held = await JsonStore.open(tmp.dir, { log: () => {} });
  try {
    expect(await run(['add', 'bob', '--role', 'viewer', '--password-stdin'], 'long enough pw\n')).toMatchObject({ code: 1, err: expect.stringMatching(/stop the server first/) });
    expect(await held.listAuthRecords('user')).toEqual([]);
  } finally {
    await held.close();
  }
});
