/**
 * `modellab users add <name> --role admin|editor|viewer`: adds a user to the store the server uses
 * (MODELLAB_DATABASE_URL, or db.json in MODELLAB_DATA_DIR — stop that server first: one process owns
 * the data folder). The password is asked for without echo on a terminal, or read as the first line
 * of standard input (`--password-stdin`, for scripts); never from the command line, where `ps` and the
 * shell's history would show it.
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from './config';
import { AuthService } from './services/auth';
import { DataDirLockedError, JsonStore, PgStore, type Store } from './storage';
import { PASSWORD, ROLES, type Role, USER_NAME } from '../src/shared/auth';
import { AppError } from '../src/shared/errors';

export const USERS_USAGE = `usage: modellab users add NAME --role admin|editor|viewer [--password-stdin]
       modellab users list

Adds a user to the store the server uses: PostgreSQL when MODELLAB_DATABASE_URL is set, else db.json
in MODELLAB_DATA_DIR (stop that server first). The password is asked for twice without echo, or read
from the first line of standard input with --password-stdin.`;

/** One line of standard input; on a terminal asked with `prompt`, the typed characters not shown. */
async function readSecret(prompt: string, input: NodeJS.ReadableStream & { isTTY?: boolean }, output: NodeJS.WritableStream): Promise<string> {
  const terminal = input.isTTY === true;
  const rl = createInterface({ input, output: terminal ? output : undefined, terminal });
  if (terminal) {
    output.write(prompt);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {}; // no echo
  }
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new Error('no password given on standard input')));
    });
  } finally {
    if (terminal) output.write('\n');
    rl.close();
  }
}

export async function usersCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: { input: NodeJS.ReadableStream & { isTTY?: boolean }; print: (line: string) => void; printError: (line: string) => void } = { input: process.stdin, print: (l) => console.log(l), printError: (l) => console.error(l) },
): Promise<number> {
  const [action, ...rest] = argv;
  if (!action || action === '--help' || action === '-h' || rest.includes('--help')) {
    io.print(USERS_USAGE);
    return action ? 0 : 2;
  }
  let values: { role?: string; 'password-stdin'?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, strict: true, allowPositionals: true, options: { role: { type: 'string' }, 'password-stdin': { type: 'boolean' } } }));
    if (action !== 'add' && action !== 'list') throw new Error(`unknown action '${action}'`);
    if (action === 'add') {
      if (positionals.length !== 1) throw new Error('give one user name');
      const name = USER_NAME.safeParse(positionals[0]);
      if (!name.success) throw new Error(`'${positionals[0]}': ${name.error.issues[0]!.message}`);
      if (!ROLES.includes(values.role as Role)) throw new Error(`--role: one of ${ROLES.join(', ')}`);
    } else if (positionals.length > 0 || values.role !== undefined) throw new Error('list takes no arguments');
  } catch (error) {
    io.printError(`modellab users: ${(error as Error).message}\n\n${USERS_USAGE}`);
    return 2;
  }

  let store: Store;
  try {
    store = env.MODELLAB_DATABASE_URL
      ? await PgStore.open(env.MODELLAB_DATABASE_URL, { log: () => {} })
      : await JsonStore.open(path.resolve(env.MODELLAB_DATA_DIR || path.join(PROJECT_ROOT, 'modellab-data')), { log: () => {} });
  } catch (error) {
    io.printError(`modellab users: ${error instanceof DataDirLockedError ? `${error.message} (stop the server first, or add the user as an admin through POST /api/modellab/users)` : (error as Error).message}`);
    return 1;
  }
  try {
    const auth = new AuthService(store);
    if (action === 'list') {
      for (const user of await auth.listUsers()) io.print(`${user.name.padEnd(24)} ${user.role}`);
      return 0;
    }
    const password = values['password-stdin'] ? await readSecret('', io.input, process.stdout) : await readSecret('Password: ', io.input, process.stdout);
    if (!values['password-stdin'] && io.input.isTTY && (await readSecret('Password again: ', io.input, process.stdout)) !== password) {
      io.printError('modellab users: the passwords differ; nothing was added');
      return 1;
    }
    const checked = PASSWORD.safeParse(password);
    if (!checked.success) {
      io.printError(`modellab users: ${checked.error.issues[0]!.message}; nothing was added`);
      return 1;
    }
    const user = await auth.createUser({ name: positionals[0]!, password, role: values.role as Role });
    io.print(`added ${user.role} '${user.name}'`);
    return 0;
  } catch (error) {
    io.printError(`modellab users: ${error instanceof AppError ? error.message : (error as Error).message}`);
    return 1;
  } finally {
    await store.close();
  }
}
