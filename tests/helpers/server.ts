/** Starts the real server (`api/server.ts`) in a child process, as `npm start` does. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

export interface StartOptions {
  dataDir: string;
  env?: Record<string, string>;
  apiOnly?: boolean;
  /** Use `npm start` itself (the e2e tests), not node + tsx directly. */
  viaNpm?: boolean;
}

function launch({ dataDir, env = {}, apiOnly = true, viaNpm = false }: StartOptions): ChildProcess {
  // MALLOC_ARENA_MAX set here as the server would set it itself: the pid spawned is then the server's
  // own (benchmarks read its memory), not a launcher's.
  const vars = { ...process.env, PORT: '0', HOST: '127.0.0.1', MODELLAB_DATA_DIR: dataDir, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2', ...env };
  const [cmd, args] = viaNpm
    ? ['npm', ['start', '--silent', ...(apiOnly ? ['--', '--api-only'] : [])]]
    : [process.execPath, ['--import', 'tsx', path.join(ROOT, 'api/server.ts'), ...(apiOnly ? ['--api-only'] : [])]];
  // Its own process group, so that killing it also kills what npm started.
  return spawn(cmd as string, args as string[], { cwd: ROOT, env: vars, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

/** Runs the server until it exits by itself (for start-up failures); resolves with exit code and output. */
export function runToExit(options: StartOptions, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const child = launch(options);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`server did not exit within ${timeoutMs} ms; output:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}

/** Starts the server and resolves once it listens, with its URL. */
export function startServer(options: StartOptions, timeoutMs = 120_000): Promise<ServerProcess> {
  const child = launch(options);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms; output:\n${output}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      output += d;
      const match = /listening on (http:\/\/[^\s/]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; output:\n${output}`));
    });
  });
}

export async function stopServer(server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  killGroup(server.child, signal);
  await server.exited;
  // Under `npm start` the server is npm's child: npm can exit while the server still finishes its
  // writes. Wait until the whole process group is gone before anyone removes its data folder.
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(-server.child.pid!, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  killGroup(server.child, 'SIGKILL');
}
