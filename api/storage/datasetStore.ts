/**
 * Dataset versions in the blob store (the data folder or a bucket): datasets/<id>/<originalFilename>,
 * written once and never changed. Uploads land in the data folder's datasets/.incoming/<random>/,
 * are checked there, and are handed to the blob store only when accepted, so a refused upload leaves
 * nothing behind. Node only.
 */
import type { Readable, Writable } from 'node:stream';
import { DATASET_CONTENT_TYPES, DATASETS_DIR } from '../../src/shared/contract/constants';
import { analyzeDatasetFile } from './datasetFiles';
import { createUploadFileStream } from './durableFile';
import { datasetFolderOf, type BlobStore } from './blobs/blobStore';
import { AppError, unprocessable, unsupportedMediaType } from '../../src/shared/errors';
import { newId, nowIso } from '../../src/shared/ids';
import { PARALLEL_MIN_BYTES, ParallelCsvReader } from '../workers/parallelCsv';
import { ExpectedSchema } from '../../src/shared/contract/schemas';
import { diffSchemas, formatOfFilename, FORMAT_BY_EXTENSION, type ExpectedColumn, typedCell } from '../../src/shared/schemaDetector';
import type { Store } from './store';
import { IncomingUploads } from './incomingUploads';
import type { ColumnSchema, Dataset, DatasetPreview, DatasetUploadResult, DatasetValidation } from '../../src/shared/contract/types';

/** A file name safe to store: no folders, no control characters, not empty, at most 200 characters. */
export function sanitizeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  let clean = base.replace(/[\u0000-\u001f\u007f]/g, '').replace(/^\.+/, '').trim();
  if (clean.length > 200) {
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 10 ? clean.slice(dot) : '';
    clean = clean.slice(0, 200 - ext.length) + ext;
  }
  return clean === '' ? 'dataset' : clean;
}

export interface ReceivedFile {
  path: string;
  originalFilename: string;
  size: number;
  sha256: string;
}

export interface UploadMeta {
  name?: string | undefined;
  description: string;
  tags: string[];
  expectedSchema: { columns: ExpectedColumn[] } | null;
  /** Who uploads it (users mode). */
  createdBy?: string | null;
}

export type UploadSink = Writable & { reader: ParallelCsvReader | null };

export class DatasetFiles {
  private readonly uploads: IncomingUploads;

  constructor(
    dataDir: string,
    private readonly store: Store,
    private readonly blobs: BlobStore,
  ) {
    this.uploads = new IncomingUploads(dataDir, DATASETS_DIR);
  }

  /** Creates the folders and removes uploads that a crash interrupted. */
  init(): Promise<void> {
    return this.uploads.init();
  }

  /** A private folder for one upload; `cleanup` removes it and whatever is still in it. */
  incoming(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
    return this.uploads.create();
  }

  private folderOf(id: string): string {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new AppError(500, 'corrupt_record', `dataset id '${id}' is invalid`);
    return datasetFolderOf(id);
  }

  private keyOf(dataset: Dataset): string {
    if (sanitizeFilename(dataset.originalFilename) !== dataset.originalFilename) throw new AppError(500, 'corrupt_record', 'dataset file name is invalid');
    return this.folderOf(dataset.id) + dataset.originalFilename;
  }

  private checkFile(file: ReceivedFile) {
    const format = formatOfFilename(file.originalFilename);
    if (!format) {
      throw unsupportedMediaType(
        `'${file.originalFilename}' is not a supported dataset file; use one of: ${Object.keys(FORMAT_BY_EXTENSION).map((e) => `.${e}`).join(', ')}`,
      );
    }
    if (file.size === 0) throw unprocessable('The file is empty');
    return format;
  }

  /**
   * The stream an upload is written to. For a large CSV/TSV it also hands the bytes, as they land on
   * disk, to a ParallelCsvReader, so the file is profiled while it is still arriving.
   */
  uploadSink(file: { filepath: string; originalFilename: string }, contentLength: number, fields: Record<string, string>): UploadSink {
    const format = formatOfFilename(file.originalFilename);
    let expected: ExpectedColumn[] | null;
    try {
      expected = fields.expectedSchema ? (ExpectedSchema.parse(JSON.parse(fields.expectedSchema)).columns as ExpectedColumn[]) : null;
    } catch {
      expected = null; // the route reports the bad field; this reader's result will not be used
    }
    const reader =
      (format === 'csv' || format === 'tsv') && contentLength >= PARALLEL_MIN_BYTES ? new ParallelCsvReader(file.filepath, format, expected) : null;
    const stream = createUploadFileStream(file.filepath, reader ? (chunk) => reader.onWritten(chunk) : undefined);
    stream.on('finish', () => reader?.complete());
    // Only a failure stops the reader (a normal finish also ends in 'close').
    stream.on('error', () => reader?.abort());
    return Object.assign(stream, { reader });
  }

  /** Turns an uploaded temp file into a stored version (or finds the identical latest one). */
  async ingest(file: ReceivedFile, meta: UploadMeta, reader: ParallelCsvReader | null = null): Promise<DatasetUploadResult> {
    try {
      return await this.ingestWith(file, meta, reader);
    } finally {
      reader?.abort(); // no-op once its result was taken
    }
  }

  private async ingestWith(file: ReceivedFile, meta: UploadMeta, reader: ParallelCsvReader | null): Promise<DatasetUploadResult> {
    const format = this.checkFile(file);
    const originalFilename = sanitizeFilename(file.originalFilename);
    const name = meta.name ?? (originalFilename.replace(/\.[^.]+$/, '') || 'dataset');

    const latest = await this.store.latestDatasetVersion(name);
    if (latest && latest.checksum === file.sha256) return { ...latest, deduplicated: true };

    const expected = meta.expectedSchema?.columns ?? null;
    // The reader saw the fields sent before the file; its result counts only if it checked the same schema.
    const usable = reader !== null && JSON.stringify(reader.expected) === JSON.stringify(expected);
    const detection = (usable ? await reader.result() : null) ?? (await analyzeDatasetFile(file.path, { format, expected }));
    if (detection.columns.length === 0) throw unprocessable('The file holds no columns or rows');
    if (detection.violationCount > 0) {
      throw unprocessable(`The file does not match expectedSchema: ${detection.violationCount} violation(s); nothing was stored`, {
        violationCount: detection.violationCount,
        violations: detection.violations,
      });
    }
    const warnings = [...detection.warnings];
    if (detection.rowCount === 0) warnings.push('The file has a header but no data rows');
    const approximate = detection.columns.filter((c) => c.approximate).map((c) => `'${c.name}'`);
    if (approximate.length) {
      warnings.push(
        `Column(s) ${approximate.join(', ')} have more than 50,000 distinct values: their distinctCount is an estimate (about ±1%) and topValues count only the rows read until then`,
      );
    }

    const id = newId();
    const folder = this.folderOf(id);
    try {
      await this.blobs.putFile(folder + originalFilename, file.path, DATASET_CONTENT_TYPES[format]);
      const { dataset, deduplicated } = await this.store.addDatasetVersion(
        {
          id,
          name,
          checksum: file.sha256,
          sizeBytes: file.size,
          format,
          originalFilename,
          rowCount: detection.rowCount,
          columnCount: detection.columns.length,
          schema: { columns: detection.columns as ColumnSchema[] },
          description: meta.description,
          tags: meta.tags,
          createdAt: nowIso(),
          warnings,
          ...(meta.createdBy && { createdBy: meta.createdBy }),
        },
        (parent, child) => diffSchemas(parent.schema, child.schema),
      );
      if (deduplicated) await this.blobs.deletePrefix(folder);
      return { ...dataset, deduplicated };
    } catch (error) {
      await this.blobs.deletePrefix(folder);
      throw error;
    }
  }

  /** Checks a file against a stored version's schema without storing it. */
  async validate(file: ReceivedFile, against: Dataset): Promise<DatasetValidation> {
    const format = this.checkFile(file);
    const expected: ExpectedColumn[] = against.schema.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));
    const detection = await analyzeDatasetFile(file.path, { format, expected });
    return {
      valid: detection.violationCount === 0,
      rowCount: detection.rowCount,
      violationCount: detection.violationCount,
      violations: detection.violations,
      schemaChanges: diffSchemas(against.schema, { columns: detection.columns as ColumnSchema[] }),
    };
  }

  async preview(dataset: Dataset, limit: number): Promise<DatasetPreview> {
    const stream = await this.read(dataset);
    const detection = await analyzeDatasetFile(stream, { format: dataset.format, rowLimit: limit, keepRows: true });
    const columns = dataset.schema.columns.map((c) => ({ name: c.name, type: c.type }));
    const rows = detection.rows.slice(0, limit).map((row) =>
      Object.fromEntries(columns.map((c) => [c.name, dataset.format === 'csv' || dataset.format === 'tsv' ? typedCell(row[c.name], c.type) : (row[c.name] ?? null)])),
    );
    return { columns, rows };
  }

  private missing(dataset: Dataset): AppError {
    return new AppError(500, 'file_missing', `The file of dataset '${dataset.id}' is missing from ${this.blobs.location}`);
  }

  private async read(dataset: Dataset): Promise<Readable> {
    try {
      return await this.blobs.read(this.keyOf(dataset));
    } catch (error) {
      if (error instanceof AppError && error.status === 404) throw this.missing(dataset);
      throw error;
    }
  }

  async open(dataset: Dataset): Promise<{ stream: Readable; size: number }> {
    const info = await this.blobs.stat(this.keyOf(dataset));
    if (!info) throw this.missing(dataset);
    return { stream: await this.read(dataset), size: info.size };
  }

  async remove(id: string): Promise<void> {
    await this.blobs.deletePrefix(this.folderOf(id));
  }
}

