import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Every file under `dir` (relative path → size), plus db.json's text: equal snapshots mean nothing changed. */
export async function snapshotDir(dir: string): Promise<Record<string, string | number>> {
  const out: Record<string, string | number> = {};
  async function walk(sub: string) {
    for (const entry of await readdir(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) {
        out[`${rel}/`] = 0;
        await walk(rel);
      } else out[rel] = (await stat(path.join(dir, rel))).size;
    }
  }
  await walk('');
  out['db.json (text)'] = await readFile(path.join(dir, 'db.json'), 'utf8');
  return out;
}
