/**
 * The storage module's public surface: the Store interface (records, searches, lifecycle cascades)
 * with its JSON and PostgreSQL implementations, and the file stores beside it (artifacts, dataset files, metric
 * series) with the durable-file primitives they share. Nothing outside this folder imports its
 * files directly.
 */
export type { DatasetDraft, DatasetListOptions, LoggedModelListOptions, Page, PageOptions, RunListOptions, Store } from './store';
export { JsonStore, type FlushStats, type JsonStoreOptions } from './json/jsonStore';
export { PgStore } from './postgres/pgStore';
export { CorruptDatabaseError } from './json/records';
export { DataDirLockedError } from './json/dataDirLock';
export { ArtifactFiles, sha256File, type UploadedFile } from './artifactFiles';
export { DatasetFiles, type ReceivedFile, type UploadMeta, type UploadSink } from './datasetStore';
export { MetricSeriesStore, type MetricInput, type MetricPoint, type MetricSeries } from './metricSeries';
export { createUploadFileStream, type UploadFileStream } from './durableFile';
