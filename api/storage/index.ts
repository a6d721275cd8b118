/**
 * The storage module's public surface: the Store interface (records, searches, lifecycle cascades)
 * with its JSON and PostgreSQL implementations, the blob stores files live in (the data folder, an
 * S3-compatible bucket), and the file stores over them (artifacts, dataset files) and beside them
 * (metric series) with the durable-file primitives they share. Nothing outside this folder imports its
 * files directly.
 */
export type { DatasetDraft, DatasetListOptions, LoggedModelListOptions, Page, PageOptions, RunListOptions, RunPage, RunQuery, Store, StoredRecord } from './store';
export { STORED_KINDS } from './store';
export { JsonStore, type FlushStats, type JsonStoreOptions } from './json/jsonStore';
export { PgStore } from './postgres/pgStore';
export { CorruptDatabaseError } from './json/records';
export { checkDataDirUnlocked, DataDirLockedError } from './json/dataDirLock';
export { ArtifactFiles, sha256File, sha256Stream, type ArtifactContent, type StagedUpload, type UploadedFile, type UploadPlace } from './artifactFiles';
export { artifactsOf, datasetFolderOf, type BlobInfo, type BlobStore, type ByteRange, type StagedBlob } from './blobs/blobStore';
export { FolderBlobs } from './blobs/folderBlobs';
export { parseS3Uri, S3Blobs, type S3Location, type S3Options } from './blobs/s3Blobs';
export { DatasetFiles, type ReceivedFile, type UploadMeta, type UploadSink } from './datasetStore';
export { extremesOf, MetricSeriesStore, type MetricInput, type MetricPoint, type MetricSeries } from './metricSeries';
export { createUploadFileStream, type UploadFileStream } from './durableFile';
