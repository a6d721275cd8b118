/**
 * Per-run artifact files: artifacts/<runId>/<category>/<path> in the blob store (a logged model's
 * files: artifacts/<m-id>/…), the data folder or a bucket. Uploads are received into a local
 * incoming folder (artifacts/.incoming in the data folder) and handed to the blob store only when
 * complete — or, when the store takes files while they arrive (a bucket) and the upload's place is
 * known before its bytes, written there directly and committed once complete and checked. Every path is validated before a key is built (artifactPaths.ts); the blob store checks
 * the key again and, for the folder, where it resolves. Node only.
 *
 * One source of truth: the stored files decide what exists; the store keeps their metadata
 * (sha256, content type, upload time). A file that appears without metadata (copied in by hand, or
 * left by an older release) is listed too, hashed once, and recorded.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { ARTIFACT_CATEGORIES, ARTIFACTS_DIR } from '../../src/shared/contract/constants';
import { checkCategory, checkRelativePath, contentTypeOf, defaultCategory, parseArtifactPath, type ArtifactCategory } from '../../src/shared/artifactPaths';
import { badRequest, conflict, notFound } from '../../src/shared/errors';
import { nowIso } from '../../src/shared/ids';
import { KeyedLock } from '../../src/shared/keyedLock';
import type { Store } from './store';
import { IncomingUploads } from './incomingUploads';
import type { Artifact } from '../../src/shared/contract/types';
import { LOGGED_MODEL_ID } from '../../src/shared/contract/registry';
import { artifactsOf, keyOf, type BlobStore, type ByteRange, type StagedBlob } from './blobs/blobStore';

const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;

export async function sha256Stream(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export const sha256File = (file: string): Promise<string> => sha256Stream(createReadStream(file, { highWaterMark: 1 << 20 }));

export interface UploadedFile {
  path: string;
  originalFilename: string;
  size: number;
  sha256: string;
}

/** What places an upload: the category and path fields, and the file's own name. */
export interface UploadPlace {
  category?: string | undefined;
  path?: string | undefined;
  filename: string;
}

/** An upload being written straight to the blob store (see ArtifactFiles.stage). */
export interface StagedUpload {
  key: string;
  blob: StagedBlob;
}

/** An artifact ready to be sent: its record, size and date, and its bytes on demand. */
export interface ArtifactContent {
  artifact: Artifact;
  size: number;
  modified: Date;
  read(range?: ByteRange): Promise<Readable>;
}

export class ArtifactFiles {
  private readonly uploads: IncomingUploads;
  private readonly locks = new KeyedLock();

  constructor(
    dataDir: string,
    private readonly store: Store,
    private readonly blobs: BlobStore,
  ) {
    this.uploads = new IncomingUploads(dataDir, ARTIFACTS_DIR);
  }

  init(): Promise<void> {
    return this.uploads.init();
  }

  incoming(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
    return this.uploads.create();
  }

  /** 404 unless the folder's owner exists: a run, or a logged model (its files live beside the runs'). */
  ensureOwner(id: string): Promise<void> {
    return this.owner(id);
  }

  private async owner(id: string): Promise<void> {
    if (LOGGED_MODEL_ID.test(id)) await this.store.getLoggedModel(id);
    else await this.store.getRun(id);
  }

  /** `artifacts/<owner>/` after checking the id is one safe segment. */
  private ownerPrefix(ownerId: string): string {
    if (!RUN_ID.test(ownerId)) throw badRequest(`runId: invalid run id '${ownerId}'`);
    return artifactsOf(ownerId);
  }

  private keyOf(ownerId: string, category: ArtifactCategory, segments: string[]): string {
    return this.ownerPrefix(ownerId) + keyOf(category, ...segments);
  }

  /** Where an upload goes: its category, path segments and key (400 for a bad category or path). */
  private placeOf(ownerId: string, place: UploadPlace): { category: ArtifactCategory; segments: string[]; key: string } {
    const category = place.category ? checkCategory(place.category) : defaultCategory(place.path ?? place.filename);
    const inner = place.path ?? place.filename.split(/[\\/]/).pop() ?? 'artifact';
    const segments = checkRelativePath(inner);
    return { category, segments, key: this.keyOf(ownerId, category, segments) };
  }

  /**
   * Starts writing an upload straight to its place while it arrives, when the blob store can (a
   * bucket) and the place is already known and valid; null otherwise — the upload is then received
   * into the incoming folder and handed over by save(). Nothing is visible before save() commits
   * it; the caller aborts it whatever happens (a no-op after the commit).
   */
  stage(ownerId: string, place: UploadPlace): StagedUpload | null {
    if (!this.blobs.stage) return null;
    let key: string;
    try {
      key = this.placeOf(ownerId, place).key;
    } catch {
      return null; // refused with its message once the whole form is read
    }
    return { key, blob: this.blobs.stage(key, contentTypeOf(key)) };
  }

  /**
   * Stores a received upload (the file in the incoming folder, or `staged`, its bytes already in
   * the blob store) at its place and records it. 409 if the path exists unless `overwrite`.
   */
  save(runId: string, upload: UploadedFile, options: { category?: string | undefined; path?: string | undefined; overwrite: boolean; staged?: StagedUpload | null }): Promise<Artifact> {
    return this.exclusive(runId, () => this.saveHeld(runId, upload, options));
  }

  private async saveHeld(runId: string, upload: UploadedFile, options: { category?: string | undefined; path?: string | undefined; overwrite: boolean; staged?: StagedUpload | null }): Promise<Artifact> {
    await this.owner(runId); // 404 before anything is written
    const { category, segments, key } = this.placeOf(runId, { category: options.category, path: options.path, filename: upload.originalFilename });
    if (options.staged && options.staged.key !== key) {
      // The file was placed by the fields sent before it; a category or path sent after it came too late.
      throw badRequest('category, path: send them before the file in the form; they arrived after it, once the file was already being stored');
    }
    const relative = [category, ...segments].join('/');
    // A file cannot also be a folder, in a bucket as on disk: each of its parent paths must not be a file.
    for (let i = 1; i < segments.length; i++) {
      const parent = [category, ...segments.slice(0, i)].join('/');
      if (await this.blobs.stat(this.keyOf(runId, category, segments.slice(0, i)))) throw conflict(`'${parent}' is a file, not a folder`, { path: parent });
    }
    if (await this.blobs.isFolder(key)) throw conflict(`'${relative}' is a folder`, { path: relative });
    if (!options.overwrite && (await this.blobs.stat(key))) throw conflict(`Artifact '${relative}' already exists; add ?overwrite=true to replace it`, { path: relative });
    const contentType = contentTypeOf(relative);
    if (options.staged) await options.staged.blob.commit();
    else await this.blobs.putFile(key, upload.path, contentType);
    const artifact: Artifact = { runId, path: relative, category, size: upload.size, sha256: upload.sha256, contentType, createdAt: nowIso() };
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

  /** The first of `candidate(0)`, `candidate(1)`, … (paths inside a category) that is neither a file nor a folder yet. */
  async freePath(runId: string, category: ArtifactCategory, candidate: (attempt: number) => string[]): Promise<string[]> {
    for (let attempt = 0; ; attempt++) {
      const segments = candidate(attempt).map((s) => checkRelativePath(s)).flat();
      const key = this.keyOf(runId, category, segments);
      if (!(await this.blobs.stat(key)) && !(await this.blobs.isFolder(key))) return segments;
    }
  }

  /**
   * Replaces files ModelLab itself produces (evaluation documents, latency results) in a category of
   * the run's files, durably, and records them. Each file already there is first kept under
   * `archive(name)` (a copy, with its record), so at every instant each path holds a whole file,
   * the old or the new. Call it inside exclusive(runId): archive names are chosen free beforehand.
   */
  async replaceGenerated(
    runId: string,
    category: ArtifactCategory,
    files: { name: string; content: string }[],
    archive: ((name: string) => string[]) | null,
  ): Promise<Artifact[]> {
    await this.owner(runId);
    const keyOfName = (name: string) => this.keyOf(runId, category, checkRelativePath(name));
    for (const f of files) keyOfName(f.name);
    if (archive) {
      for (const f of files) {
        if (!(await this.blobs.stat(keyOfName(f.name)))) continue;
        const segments = archive(f.name);
        await this.blobs.copy(keyOfName(f.name), this.keyOf(runId, category, segments));
        const record = await this.store.getArtifact(runId, `${category}/${f.name}`);
        if (record) await this.store.putArtifact({ ...record, path: [category, ...segments].join('/') });
      }
    }
    await this.blobs.putContents(files.map((f) => ({ key: keyOfName(f.name), data: f.content, contentType: contentTypeOf(f.name) })));
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
    const text = await this.blobs.readText(this.keyOf(runId, category, segments));
    return text === null ? null : (JSON.parse(text) as T);
  }

  /** Every file of the run, with its metadata (recorded now for files that had none). */
  list(runId: string): Promise<Artifact[]> {
    return this.exclusive(runId, () => this.listHeld(runId));
  }

  private async listHeld(runId: string): Promise<Artifact[]> {
    await this.owner(runId);
    const prefix = this.ownerPrefix(runId);
    const known = new Map((await this.store.listArtifacts(runId)).map((a) => [a.path, a]));
    const out: Artifact[] = [];
    const blobs = (await this.blobs.list(prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const blob of blobs) {
      const relative = blob.key.slice(prefix.length);
      const category = relative.slice(0, relative.indexOf('/'));
      if (!(ARTIFACT_CATEGORIES as readonly string[]).includes(category)) continue;
      out.push(await this.recorded(runId, relative, blob.size, blob.modified, known.get(relative) ?? null));
    }
    // Records whose file is gone are stale.
    const present = new Set(out.map((a) => a.path));
    for (const stale of [...known.keys()].filter((p) => !present.has(p))) await this.store.deleteArtifact(runId, stale);
    return out;
  }

  /** The record of a file: the stored one while its size matches, otherwise the file is hashed and recorded now. */
  private async recorded(runId: string, relative: string, size: number, modified: Date, known: Artifact | null): Promise<Artifact> {
    if (known && known.size === size) return known;
    const key = this.ownerPrefix(runId) + relative;
    return this.store.putArtifact({
      runId,
      path: relative,
      category: relative.slice(0, relative.indexOf('/')) as ArtifactCategory,
      size,
      sha256: await sha256Stream(await this.blobs.read(key)),
      contentType: contentTypeOf(relative),
      createdAt: modified.toISOString(),
    });
  }

  /** The file behind "<category>/<path>", checked; 404 when it does not exist. */
  open(runId: string, fullPath: string): Promise<ArtifactContent> {
    return this.exclusive(runId, () => this.openHeld(runId, fullPath));
  }

  private async openHeld(runId: string, fullPath: string): Promise<ArtifactContent> {
    await this.owner(runId);
    const { category, segments, path: relative } = parseArtifactPath(fullPath);
    const key = this.keyOf(runId, category, segments);
    const blob = await this.blobs.stat(key);
    if (!blob) throw notFound('artifact', relative);
    const artifact = await this.recorded(runId, relative, blob.size, blob.modified, await this.store.getArtifact(runId, relative));
    return { artifact, size: blob.size, modified: blob.modified, read: (range) => this.blobs.read(key, range) };
  }

  remove(runId: string, fullPath: string): Promise<void> {
    return this.exclusive(runId, async () => {
      const { artifact } = await this.openHeld(runId, fullPath);
      await this.blobs.delete(this.ownerPrefix(runId) + artifact.path);
      await this.store.deleteArtifact(runId, artifact.path);
    });
  }

  /** Removes every file of a run or logged model (its records go with the owner's record). Call it inside exclusive(id). */
  async removeAll(ownerId: string): Promise<void> {
    await this.blobs.deletePrefix(this.ownerPrefix(ownerId));
  }
}
