/** `npm start` right after `npm install`: build the client when dist/ is missing or older than its sources. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from './config';

async function newestMtime(entry: string): Promise<number> {
  const info = await stat(entry).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const names = await readdir(entry);
  const times = await Promise.all(names.map((name) => newestMtime(path.join(entry, name))));
  return Math.max(info.mtimeMs, ...times);
}

export async function ensureClientBuilt(root = PROJECT_ROOT): Promise<string> {
  const dist = path.join(root, 'dist');
  const builtAt = (await stat(path.join(dist, 'index.html')).catch(() => null))?.mtimeMs ?? 0;
  const sources = ['src', 'vite.config.ts', 'package-lock.json'].map((p) => path.join(root, p));
  const newest = Math.max(...(await Promise.all(sources.map(newestMtime))));
  if (newest > builtAt) {
    console.log('ModelLab: building the web client (first start or sources changed)…');
    const { build } = await import('vite');
    // A production build whatever this process runs under: Vite takes NODE_ENV from the environment,
    // and under another value (vitest's 'test') it made React's development build, whose StrictMode
    // runs every effect twice.
    const inherited = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
    } finally {
      if (inherited === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = inherited;
    }
  }
  return dist;
}
