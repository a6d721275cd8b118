/** Run artifacts: uploads and deletions through either API, each announced once. */
import type { EventBus } from '../eventBus';
import type { ArtifactFiles, StagedUpload, UploadedFile, UploadPlace } from '../storage';
import type { Artifact } from '../../src/shared/contract/types';

export class ArtifactService {
  constructor(
    private readonly files: ArtifactFiles,
    private readonly events: EventBus,
  ) {}

  incoming() {
    return this.files.incoming();
  }

  /** 404 unless the run or logged model exists. */
  ensureOwner(ownerId: string): Promise<void> {
    return this.files.ensureOwner(ownerId);
  }

  /** See ArtifactFiles.stage: an upload written straight to the bucket, or null. */
  stage(ownerId: string, place: UploadPlace): StagedUpload | null {
    return this.files.stage(ownerId, place);
  }

  list(runId: string): Promise<Artifact[]> {
    return this.files.list(runId);
  }

  open(runId: string, fullPath: string) {
    return this.files.open(runId, fullPath);
  }

  /** Stores a received upload (or commits its staged bytes) and records it; 409 when the path exists unless `overwrite`. */
  async save(runId: string, upload: UploadedFile, options: { category?: string | undefined; path?: string | undefined; overwrite: boolean; staged?: StagedUpload | null }): Promise<Artifact> {
    const artifact = await this.files.save(runId, upload, options);
    this.events.publish('artifact.created', { runId, path: artifact.path, size: artifact.size });
    return artifact;
  }

  async remove(runId: string, fullPath: string): Promise<void> {
    await this.files.remove(runId, fullPath);
    this.events.publish('artifact.deleted', { runId, path: fullPath });
  }
}
