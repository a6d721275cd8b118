/**
 * Where files live: a data folder or an S3-compatible bucket, behind one interface. Keys are
 * '/'-joined segments under a fixed layout — `artifacts/<owner>/<category>/<path>` and
 * `datasets/<id>/<file>` — so a folder and a bucket hold the same tree and migrating is copying.
 * The callers (ArtifactFiles, DatasetFiles) validate every segment before a key is built; each
 * store checks the key again (checkKey) and the folder store also checks where it resolves.
 */
import type { Readable, Writable } from 'node:stream';
import { ARTIFACTS_DIR, DATASETS_DIR } from '../../../src/shared/contract/constants';

export interface BlobInfo {
  /** The full key. */
  key: string;
  size: number;
  modified: Date;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/** A file written to its key while it arrives, invisible until committed. */
export interface StagedBlob {
  /** Where the bytes go; it finishes once every byte is held by the store. */
  readonly stream: Writable;
  /** Makes what was written the key's content (the stream must have finished). On failure the key keeps its old content and the staged bytes are removed. */
  commit(): Promise<void>;
  /** Drops what was written, leaving nothing behind; does nothing after commit or a second time. */
  abort(): Promise<void>;
}

export interface BlobStore {
  readonly kind: 'folder' | 's3';
  /** For messages: the folder, or s3://bucket/prefix. */
  readonly location: string;
  /** Answers when the folder is writable / the bucket reachable; rejects with the reason otherwise. */
  ping(): Promise<void>;
  /**
   * Stores the complete local file `file` at `key` (replacing what is there), durably before this
   * resolves; `file` is consumed (moved, or read and left for the caller to remove). On failure the
   * key holds what it held before and nothing partial is left behind.
   */
  putFile(key: string, file: string, contentType: string): Promise<void>;
  /**
   * Stores that gain from taking an upload while it arrives (a bucket: no local copy first) offer
   * this; the folder store does not — receiving into its own filesystem and renaming is already that.
   */
  stage?(key: string, contentType: string): StagedBlob;
  /** Replaces small generated contents; each key holds the old or the new content whole at every instant. */
  putContents(items: { key: string; data: string; contentType: string }[]): Promise<void>;
  /** Copies the file at `from` to the free key `to`. */
  copy(from: string, to: string): Promise<void>;
  /** The file at `key`, or null when there is none (a folder is not a file). */
  stat(key: string): Promise<BlobInfo | null>;
  /** True when files exist under `key/` (a folder in the folder store, a common prefix in a bucket). */
  isFolder(key: string): Promise<boolean>;
  /** The bytes of the file at `key` (a range of them), as a stream; rejects when it is missing. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** The whole file as UTF-8 text, or null when it is missing. */
  readText(key: string): Promise<string | null>;
  /** Every file under `prefix` (which ends in '/'), in no particular order. Symbolic links are not followed. */
  list(prefix: string): Promise<BlobInfo[]>;
  /** Removes the file at `key` (nothing when it is missing). */
  delete(key: string): Promise<void>;
  /** Removes every file under `prefix` (which ends in '/'). */
  deletePrefix(prefix: string): Promise<void>;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const BAD_SEGMENT = /[\\\u0000-\u001f\u007f]/;

/** The key's segments after checking each: not empty, not '.' or '..', no backslash or control character. */
export function checkKey(key: string, prefix = false): string[] {
  const body = prefix ? key.replace(/\/$/, '') : key;
  if (prefix && !key.endsWith('/')) throw new Error(`blob prefix '${key}' must end in '/'`);
  const segments = body.split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || BAD_SEGMENT.test(s)) throw new Error(`invalid blob key '${key}'`);
  }
  return segments;
}

/** `artifacts/<owner>/`: the files of a run or a logged model (the id checked by the caller). */
export const artifactsOf = (ownerId: string): string => `${ARTIFACTS_DIR}/${ownerId}/`;

/** `datasets/<id>/`: a dataset version's file (the id checked by the caller). */
export const datasetFolderOf = (id: string): string => `${DATASETS_DIR}/${id}/`;

/** `artifacts/<owner>/` etc.: the joined key of already-checked segments. */
export const keyOf = (...segments: string[]): string => segments.join('/');
