/**
 * Dataset versions: ingesting an upload, the description and tags, deletion — each announced once.
 * Users mode: every user reads datasets; uploading, describing and deleting take an editor's role
 * (datasets have no per-object permissions); each version records who uploaded it.
 */
import { currentUser } from './caller';
import type { Permissions } from './permissions';
import type { EventBus } from '../eventBus';
import type { DatasetFiles, DatasetListOptions, ReceivedFile, Store, UploadMeta, UploadSink } from '../storage';
import type { Dataset } from '../../src/shared/contract/types';

export class DatasetService {
  constructor(
    private readonly store: Store,
    private readonly files: DatasetFiles,
    private readonly events: EventBus,
    private readonly permissions: Permissions,
  ) {}

  list(options: DatasetListOptions) {
    return this.store.listDatasets(options);
  }

  get(id: string): Promise<Dataset> {
    return this.store.getDataset(id);
  }

  async preview(id: string, limit: number) {
    return this.files.preview(await this.store.getDataset(id), limit);
  }

  async open(id: string) {
    const dataset = await this.store.getDataset(id);
    return { dataset, ...(await this.files.open(dataset)) };
  }

  /** A temporary folder for an upload in progress (an editor's: 403 before the body is read); cleanup removes whatever is left of it. */
  incoming() {
    this.permissions.requireRole('edit');
    return this.files.incoming();
  }

  /** Where an arriving file is written (and, for a large CSV, profiled while it arrives). */
  uploadSink(file: { filepath: string; originalFilename: string }, contentLength: number, fields: Record<string, string>): UploadSink {
    return this.files.uploadSink(file, contentLength, fields);
  }

  /** Stores a received file as a new version (or answers the identical latest one: nothing changes, nothing is announced). */
  async ingest(file: ReceivedFile, meta: UploadMeta, sink: UploadSink | null) {
    this.permissions.requireRole('edit');
    const result = await this.files.ingest(file, { ...meta, createdBy: currentUser()?.name ?? null }, sink?.reader ?? null);
    if (!result.deduplicated) await this.events.publish('dataset.created', { id: result.id, name: result.name, version: result.version });
    return result;
  }

  async validate(id: string, file: ReceivedFile) {
    return this.files.validate(file, await this.store.getDataset(id));
  }

  async update(id: string, patch: { description?: string | undefined; tags?: string[] | undefined }): Promise<Dataset> {
    this.permissions.requireRole('edit');
    const dataset = await this.store.updateDataset(id, (current) => ({
      ...current,
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.tags !== undefined && { tags: patch.tags }),
    }));
    await this.events.publish('dataset.updated', { id: dataset.id, name: dataset.name, version: dataset.version });
    return dataset;
  }

  /** 409 naming the runs linked to it. */
  async delete(id: string): Promise<void> {
    this.permissions.requireRole('edit');
    await this.store.deleteDataset(id);
    await this.files.remove(id);
    await this.events.publish('dataset.deleted', { id });
  }
}
