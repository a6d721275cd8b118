/**
 * Run artifacts (and a logged model's files): uploads and deletions through either API, each
 * announced once. Users mode: read with the owner's experiment's `read`, written with its `edit`.
 */
import type { EventBus } from '../eventBus';
import type { ArtifactFiles, StagedUpload, UploadedFile, UploadPlace } from '../storage';
import type { Artifact } from '../../src/shared/contract/types';
import type { Level } from '../../src/shared/auth';
import type { Permissions } from './permissions';

export class ArtifactService {
  constructor(
    private readonly files: ArtifactFiles,
    private readonly events: EventBus,
    private readonly permissions: Permissions,
    private readonly experimentOfModel: (id: string) => Promise<string>,
  ) {}

  private require(ownerId: string, need: Level): Promise<void> {
    return this.permissions.requireOwner(ownerId, need, this.experimentOfModel);
  }

  incoming() {
    return this.files.incoming();
  }

  /** Before an upload is read: 404 unless the run or logged model exists, 403 unless the caller may write to it. */
  async ensureOwner(ownerId: string): Promise<void> {
    await this.require(ownerId, 'edit');
    return this.files.ensureOwner(ownerId);
  }

  /** See ArtifactFiles.stage: an upload written straight to the bucket, or null. */
  stage(ownerId: string, place: UploadPlace): StagedUpload | null {
    return this.files.stage(ownerId, place);
  }

  async list(runId: string): Promise<Artifact[]> {
    await this.require(runId, 'read');
    return this.files.list(runId);
  }

  async open(runId: string, fullPath: string) {
    await this.require(runId, 'read');
    return this.files.open(runId, fullPath);
  }

  /** Stores a received upload (or commits its staged bytes) and records it; 409 when the path exists unless `overwrite`. */
  async save(runId: string, upload: UploadedFile, options: { category?: string | undefined; path?: string | undefined; overwrite: boolean; staged?: StagedUpload | null }): Promise<Artifact> {
    await this.require(runId, 'edit');
    const artifact = await this.files.save(runId, upload, options);
    await this.events.publish('artifact.created', { runId, path: artifact.path, size: artifact.size });
    return artifact;
  }

  async remove(runId: string, fullPath: string): Promise<void> {
    await this.require(runId, 'edit');
    await this.files.remove(runId, fullPath);
    await this.events.publish('artifact.deleted', { runId, path: fullPath });
  }
}
