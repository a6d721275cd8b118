/**
 * The Python client (clients/python) as a user gets it: installed with pip into a fresh virtual
 * environment with no package index at all (its build backend is in the folder, standard library
 * only), then its own tests run against a real server — with the machine's python3 (CI installs
 * Debian's python3-venv when venv is missing).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT, startServer, stopServer, type ServerProcess } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const run = promisify(execFile);
let tmp: Awaited<ReturnType<typeof tempDir>>;
let server: ServerProcess;

beforeAll(async () => {
  tmp = await tempDir();
  server = await startServer({ dataDir: path.join(tmp.dir, 'data'), apiOnly: true });
}, 60_000);
afterAll(async () => {
  if (server) await stopServer(server);
  await tmp?.cleanup();
});

it('installs offline with pip and passes its tests against a running server', async () => {
  const venv = path.join(tmp.dir, 'venv');
  await run('python3', ['-m', 'venv', venv]);
  const python = path.join(venv, 'bin', 'python');
  // --no-index: nothing may come from PyPI (there is no network for it here either).
  const install = await run(python, ['-m', 'pip', 'install', '--no-index', '--disable-pip-version-check', path.join(ROOT, 'clients/python')], { env: { ...process.env, PIP_NO_INPUT: '1' } });
  expect(install.stdout).toMatch(/Successfully installed modellab-0\.1\.0/);
  // The installed package, not the folder: the tests run from a folder of their own.
  const tests = await run(python, ['-m', 'unittest', 'discover', '-v', '-s', path.join(ROOT, 'clients/python/tests'), '-t', path.join(ROOT, 'clients/python/tests')], {
    cwd: tmp.dir,
    env: { ...process.env, MODELLAB_URL: server.url.replace(/\/modellab$/, ''), PYTHONPATH: '' },
  }).catch((error: { stdout: string; stderr: string }) => ({ stdout: error.stdout, stderr: error.stderr, failed: true }));
  expect(tests.stderr).toMatch(/\nOK/);
  expect(tests.stderr).toMatch(/Ran 7 tests/);
  const where = await run(python, ['-c', 'import modellab, os; print(os.path.dirname(modellab.__file__))'], { cwd: tmp.dir });
  expect(where.stdout.trim().startsWith(venv)).toBe(true);
}, 180_000);
