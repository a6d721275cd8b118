/**
 * `npm start` builds the web client when dist/ is missing or older than its sources — as a
 * production build even when the server runs under another NODE_ENV (vitest sets 'test'; the
 * browser tests start servers that rebuild after a source change).
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureClientBuilt } from '../../../api/clientBuild';
import { tempDir } from '../../helpers/tmp';

let dir: Awaited<ReturnType<typeof tempDir>> | null = null;
afterEach(async () => {
  await dir?.cleanup();
  dir = null;
});

/** A tiny client: its page title is the NODE_ENV the build replaced into it. */
async function tinyClient(root: string): Promise<void> {
  await mkdir(path.join(root, 'src'), { recursive: true });
  await writeFile(
    path.join(root, 'vite.config.ts'),
    `export default { root: ${JSON.stringify(path.join(root, 'src'))}, logLevel: 'silent', build: { outDir: ${JSON.stringify(path.join(root, 'dist'))}, emptyOutDir: true } };\n`,
  );
  await writeFile(path.join(root, 'src/index.html'), '<!doctype html><title>x</title><script type="module" src="./main.js"></script>\n');
  await writeFile(path.join(root, 'src/main.js'), 'document.title = process.env.NODE_ENV;\n');
}

const builtScript = async (root: string) => {
  const assets = path.join(root, 'dist/assets');
  const [file] = (await readdir(assets)).filter((f) => f.endsWith('.js'));
  return readFile(path.join(assets, file!), 'utf8');
};

describe('ensureClientBuilt', () => {
  it('builds for production under another NODE_ENV, gives the environment back, and builds only when the sources are newer', async () => {
    dir = await tempDir('modellab-client-build-');
    await tinyClient(dir.dir);
    expect(process.env.NODE_ENV).toBe('test'); // as vitest runs it: the case that went wrong
    const dist = await ensureClientBuilt(dir.dir);
    expect(dist).toBe(path.join(dir.dir, 'dist'));
    const script = await builtScript(dir.dir);
    expect(script).toMatch(/document\.title\s*=\s*["'`]production["'`]/);
    expect(script).not.toMatch(/["'`]test["'`]/);
    expect(process.env.NODE_ENV).toBe('test');
    const builtAt = (await stat(path.join(dir.dir, 'dist/index.html'))).mtimeMs;
    await ensureClientBuilt(dir.dir); // nothing newer: no build
    expect((await stat(path.join(dir.dir, 'dist/index.html'))).mtimeMs).toBe(builtAt);
  }, 60_000);
});
