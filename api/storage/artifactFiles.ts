/**
 * Per-run artifact files: artifacts/<runId>/<category>/<path> (a logged model's files: artifacts/<m-id>/…). Uploads land in artifacts/.incoming/
 * and are renamed into place only when complete. Every path is validated before it is joined
 * (artifactPaths.ts) and its real path checked against the run's folder after resolving, so a
 * symlink cannot lead outside either. Node only.
 *
 * One source of truth: the files on disk decide what exists; the store keeps their metadata
 * (sha256, content type, upload time). A file that appears without metadata (written by another
 * part of ModelLab, e.g. evaluations) is listed too, hashed once, and recorded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { link, lstat, mkdir, readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ARTIFACT_CATEGORIES, ARTIFACTS_DIR } from '../../src/shared/contract/constants';
import { checkCategory, checkRelativePath, contentTypeOf, defaultCategory, parseArtifactPath, type ArtifactCategory } from '../../src/shared/artifactPaths';
import { fsyncDir, replaceFilesDurable } from './durableFile';
import { badRequest, conflict, forbidden, notFound } from '../../src/shared/errors';
import { nowIso } from '../../src/shared/ids';
import { KeyedLock } from '../../src/shared/keyedLock';
import type { Store } from './store';
import type { Artifact } from '../../src/shared/contract/types';
import { LOGGED_MODEL_ID } from '../../src/shared/contract/registry';

const INCOMING = '.incoming';
const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;

async function exists(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => null)) !== null;
}

/** True when the real path of `target` (or of its deepest existing ancestor) is inside `base`'s real path. */
async function staysInside(base: string, target: string): Promise<boolean> {
  const realBase = await realpath(base);
  let probe = target;
  while (!(await exists(probe))) {
    const parent = path.dirname(probe);
    if (parent === probe) return false;
    probe = parent;
  }
  const real = await realpath(probe);
  return real === realBase || real.startsWith(realBase + path.sep);
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface UploadedFile {
  path: string;
  originalFilename: string;
  size: number;
  sha256: string;
}

export class ArtifactFiles {
  readonly root: string;
  private readonly locks = new KeyedLock();

  constructor(
    dataDir: string,
    private readonly store: Store,
  ) {
    this.root = path.join(dataDir, ARTIFACTS_DIR);
  }

  async init(): Promise<void> {
    await mkdir(path.join(this.root, INCOMING), { recursive: true });
    for (const entry of await readdir(path.join(this.root, INCOMING))) await rm(path.join(this.root, INCOMING, entry), { recursive: true, force: true });
  }

  async incoming(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
    const dir = path.join(this.root, INCOMING, randomBytes(8).toString('hex'));
    await mkdir(dir, { recursive: true });
    return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }

  /** 404 unless the folder's owner exists: a run, or a logged model (its files live beside the runs'). */
  private async owner(id: string): Promise<void> {
    if (LOGGED_MODEL_ID.test(id)) await this.store.getLoggedModel(id);
    else await this.store.getRun(id);
  }

  private runDir(runId: string): string {
    if (!RUN_ID.test(runId)) throw badRequest(`runId: invalid run id '${runId}'`);
    return path.join(this.root, runId);
  }

  /** The absolute file of "<category>/<path>" after every check; `create` makes the folders for an upload. */
  private async resolve(runId: string, category: ArtifactCategory, segments: string[], create: boolean): Promise<string> {
    const runDir = this.runDir(runId);
    const file = path.join(runDir, category, ...segments);
    if (!file.startsWith(runDir + path.sep)) throw badRequest('path: leaves the run folder');
    if (create) {
      await mkdir(runDir, { recursive: true });
      if (!(await staysInside(this.root, runDir)) || !(await staysInside(runDir, path.dirname(file)))) {
        throw forbidden('path: resolves outside the run folder');
      }
      await mkdir(path.dirname(file), { recursive: true });
    }
    if ((await exists(runDir)) && !(await staysInside(runDir, file))) throw forbidden('path: resolves outside the run folder');
    return file;
  }

  /** Moves an uploaded temp file into place and records it. 409 if the path exists unless `overwrite`. */
  save(runId: string, upload: UploadedFile, options: { category?: string | undefined; path?: string | undefined; overwrite: boolean }): Promise<Artifact> {
    return this.exclusive(runId, () => this.saveHeld(runId, upload, options));
  }

  private async saveHeld(runId: string, upload: UploadedFile, options: { category?: string | undefined; path?: string | undefined; overwrite: boolean }): Promise<Artifact> {
    await this.owner(runId); // 404 before anything is written
    const category = options.category ? checkCategory(options.category) : defaultCategory(options.path ?? upload.originalFilename);
    const inner = options.path ?? upload.originalFilename.split(/[\\/]/).pop() ?? 'artifact';
    const segments = checkRelativePath(inner);
    const file = await this.resolve(runId, category, segments, true);
    const relative = [category, ...segments].join('/');
    const existing = await lstat(file).catch(() => null);
    if (existing && !options.overwrite) throw conflict(`Artifact '${relative}' already exists; add ?overwrite=true to replace it`, { path: relative });
    if (existing?.isDirectory()) throw conflict(`'${relative}' is a folder`, { path: relative });
    await rename(upload.path, file);
    await fsyncDir(path.dirname(file)); // the upload's bytes are synced; now its name is too, before the record
    const artifact: Artifact = {
      runId,
      path: relative,
      category,
      size: upload.size,
      sha256: upload.sha256,
      contentType: contentTypeOf(relative),
      createdAt: nowIso(),
    };
    return this.store.putArtifact(artifact);
  }

  /**
   * Runs `work` as the only holder of the run's files: evaluation documents, latency results and
   * artifact records are read and replaced together, one holder at a time per run (other runs go on
   * in parallel). save, remove, list and open take it themselves; replaceGenerated needs a holder.
   */
  exclusive<T>(runId: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(runId, work);
  }

  /** The first of `candidate(0)`, `candidate(1)`, … (paths inside a category) that does not exist yet. */
  async freePath(runId: string, category: ArtifactCategory, candidate: (attempt: number) => string[]): Promise<string[]> {
    for (let attempt = 0; ; attempt++) {
      const segments = candidate(attempt).map((s) => checkRelativePath(s)).flat();
      if (!(await exists(await this.resolve(runId, category, segments, false)))) return segments;
    }
  }

  /**
   * Replaces files ModelLab itself produces (evaluation documents, latency results) in a category of
   * the run's folder, durably, and records them. Each file already there is first kept under
   * `archive(name)` (a hard link, with its record), so at every instant each path holds a whole file,
   * the old or the new. Call it inside exclusive(runId): archive names are chosen free beforehand.
   */
  async replaceGenerated(
    runId: string,
    category: ArtifactCategory,
    files: { name: string; content: string }[],
    archive: ((name: string) => string[]) | null,
  ): Promise<Artifact[]> {
    await this.owner(runId);
    const dir = await this.resolve(runId, category, ['placeholder'], true).then(path.dirname);
    for (const f of files) checkRelativePath(f.name);
    if (archive) {
      const archivedDirs = new Set<string>();
      for (const f of files) {
        const current = path.join(dir, f.name);
        if (!(await exists(current))) continue;
        const segments = archive(f.name);
        const target = await this.resolve(runId, category, segments, true);
        await link(current, target);
        archivedDirs.add(path.dirname(target));
        const record = await this.store.getArtifact(runId, `${category}/${f.name}`);
        if (record) await this.store.putArtifact({ ...record, path: [category, ...segments].join('/') });
      }
      for (const archived of archivedDirs) await fsyncDir(archived);
    }
    await replaceFilesDurable(files.map((f) => ({ target: path.join(dir, f.name), data: f.content })));
    const written: Artifact[] = [];
    for (const f of files) {
      written.push(
        await this.store.putArtifact({
          runId,
          path: `${category}/${f.name}`,
          category,
          size: Buffer.byteLength(f.content),
          sha256: createHash('sha256').update(f.content).digest('hex'),
          contentType: contentTypeOf(f.name),
          createdAt: nowIso(),
        }),
      );
    }
    return written;
  }

  /** Reads a JSON document ModelLab wrote for a run (e.g. evaluations/metrics.json), or null when absent. */
  async readJson<T>(runId: string, fullPath: string): Promise<T | null> {
    const { category, segments } = parseArtifactPath(fullPath);
    const file = await this.resolve(runId, category, segments, false);
    const text = await readFile(file, 'utf8').catch(() => null);
    return text === null ? null : (JSON.parse(text) as T);
  }

  /** Every file in the run's folder, with its metadata (recorded now for files that had none). */
  list(runId: string): Promise<Artifact[]> {
    return this.exclusive(runId, () => this.listHeld(runId));
  }

  private async listHeld(runId: string): Promise<Artifact[]> {
    await this.owner(runId);
    const runDir = this.runDir(runId);
    const known = new Map((await this.store.listArtifacts(runId)).map((a) => [a.path, a]));
    const out: Artifact[] = [];
    const walk = async (dir: string, rel: string[]) => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (entry.isSymbolicLink()) continue; // never followed
        const nextRel = [...rel, entry.name];
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), nextRel);
        else if (entry.isFile()) {
          const relative = nextRel.join('/');
          let artifact = known.get(relative);
          const info = await stat(path.join(dir, entry.name));
          if (!artifact || artifact.size !== info.size) {
            artifact = await this.store.putArtifact({
              runId,
              path: relative,
              category: nextRel[0] as ArtifactCategory,
              size: info.size,
              sha256: await sha256File(path.join(dir, entry.name)),
              contentType: contentTypeOf(relative),
              createdAt: info.mtime.toISOString(),
            });
          }
          out.push(artifact);
        }
      }
    };
    for (const category of ARTIFACT_CATEGORIES) await walk(path.join(runDir, category), [category]);
    // Records whose file is gone are stale.
    for (const stale of [...known.keys()].filter((p) => !out.some((a) => a.path === p))) await this.store.deleteArtifact(runId, stale);
    return out;
  }

  /** The file behind "<category>/<path>", checked; 404 when it does not exist. */
  open(runId: string, fullPath: string): Promise<{ file: string; stats: Stats; artifact: Artifact }> {
    return this.exclusive(runId, () => this.openHeld(runId, fullPath));
  }

  private async openHeld(runId: string, fullPath: string): Promise<{ file: string; stats: Stats; artifact: Artifact }> {
    await this.owner(runId);
    const { category, segments, path: relative } = parseArtifactPath(fullPath);
    const file = await this.resolve(runId, category, segments, false);
    const stats = await stat(file).catch(() => null);
    if (!stats?.isFile()) throw notFound('artifact', relative);
    let artifact = await this.store.getArtifact(runId, relative);
    if (!artifact || artifact.size !== stats.size) {
      artifact = await this.store.putArtifact({
        runId,
        path: relative,
        category,
        size: stats.size,
        sha256: await sha256File(file),
        contentType: contentTypeOf(relative),
        createdAt: stats.mtime.toISOString(),
      });
    }
    return { file, stats, artifact };
  }

  remove(runId: string, fullPath: string): Promise<void> {
    return this.exclusive(runId, async () => {
      const { file } = await this.openHeld(runId, fullPath);
      await rm(file);
      await this.store.deleteArtifact(runId, parseArtifactPath(fullPath).path);
    });
  }
}
