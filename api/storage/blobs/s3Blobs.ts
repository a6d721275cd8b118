/**
 * The blob store in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, …): `s3://bucket/prefix` with
 * the key layout of the data folder under the prefix. Files go up as multipart uploads in parts of
 * PART_SIZE, at most QUEUE_SIZE of them in flight (s3Staged.ts), so memory stays bounded whatever the
 * file's size; uploads are written while they arrive (stage) and become visible only when committed;
 * a failed upload is aborted (its parts deleted) and the key keeps what it held. Reads
 * stream the object (one Range when asked). Credentials and region come from the standard AWS
 * variables; an endpoint URL (MinIO and the like) switches to path-style addressing. Node only.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { AppError, notFound } from '../../../src/shared/errors';
import { checkKey, type BlobInfo, type BlobStore, type ByteRange, type StagedBlob } from './blobStore';
import { S3StagedBlob } from './s3Staged';

/** Measured with bench:postgres against s3rver (5 MB × 2 → 8 MB × 3 took the 500 MB upload from about 5.8 s to 4.4 s); memory ≈ (3 + 1) × 8 MB. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 3;
const DELETE_BATCH = 1000; // DeleteObjects' limit

export interface S3Location {
  bucket: string;
  /** '' or ending in '/'. */
  prefix: string;
}

/** Parses `s3://bucket[/prefix]`; throws a message naming what is wrong. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!match) throw new Error('must look like s3://bucket/prefix');
  const bucket = match[1]!;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`'${bucket}' is not a valid bucket name`);
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '') checkKey(prefix);
  return { bucket, prefix: prefix === '' ? '' : `${prefix}/` };
}

export interface S3Options {
  /** MODELLAB_S3_ENDPOINT_URL: MinIO, Ceph, R2, …; path-style addressing then. */
  endpoint?: string | null;
  region?: string;
  /** For tests; otherwise the AWS SDK's default chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isMissing = (error: unknown) => statusOf(error) === 404 || (error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound'));

export class S3Blobs implements BlobStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;

  constructor(
    readonly where: S3Location,
    options: S3Options = {},
  ) {
    // The SDK warns once per process that its releases after January 2027 need Node 22; Node 20 is this project's platform.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(options.endpoint && { endpoint: options.endpoint, forcePathStyle: true }),
      ...(options.credentials && { credentials: options.credentials }),
      // Checksums only where an operation requires one (the SDK's default before 2025). Since 3.729
      // it adds a CRC32 to every upload and checks one on every download, which some S3-compatible
      // stores refuse and which cost a pass over every byte in JavaScript (bench:postgres: 500 MB
      // up 6.65 → 5.91 s, down 4.30 → 3.11 s); the server hashes each upload with SHA-256 as it
      // streams, and that is the checksum an artifact records.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  get location(): string {
    return `s3://${this.where.bucket}/${this.where.prefix}`;
  }

  private objectKey(key: string, prefix = false): string {
    checkKey(key, prefix);
    return this.where.prefix + key;
  }

  /** The error to report for a failed S3 call: a failure that is not the caller's becomes 503 in the error shape. */
  private failure(what: string, error: unknown): Error {
    if (error instanceof AppError) return error;
    const status = statusOf(error);
    if (status !== undefined && status < 500 && status !== 403) return error as Error;
    return new AppError(503, 'artifact_store_unavailable', `The artifact bucket (${this.location}) did not answer ${what}: ${(error as Error).message}`);
  }

  /** Runs an S3 call, reporting its failure as failure() does. */
  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.where.bucket }));
  }

  stage(key: string, contentType: string): StagedBlob {
    const Key = this.objectKey(key);
    return new S3StagedBlob({
      client: this.client,
      bucket: this.where.bucket,
      key: Key,
      contentType,
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      failure: (what, error) => this.failure(what, error),
    });
  }

  async putFile(key: string, file: string, contentType: string): Promise<void> {
    const staged = this.stage(key, contentType);
    try {
      await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), staged.stream);
      await staged.commit();
    } finally {
      await staged.abort(); // nothing after a commit
    }
  }

  async putContents(items: { key: string; data: string; contentType: string }[]): Promise<void> {
    for (const item of items) {
      const Key = this.objectKey(item.key);
      await this.call('a write', () => this.client.send(new PutObjectCommand({ Bucket: this.where.bucket, Key, Body: item.data, ContentType: item.contentType })));
    }
  }

  async copy(from: string, to: string): Promise<void> {
    const source = `${this.where.bucket}/${this.objectKey(from).split('/').map(encodeURIComponent).join('/')}`;
    const Key = this.objectKey(to);
    await this.call('a copy', () => this.client.send(new CopyObjectCommand({ Bucket: this.where.bucket, Key, CopySource: source })));
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const Key = this.objectKey(key);
    try {
      const head = await this.call('a lookup', () => this.client.send(new HeadObjectCommand({ Bucket: this.where.bucket, Key })));
      return { key, size: head.ContentLength ?? 0, modified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async isFolder(key: string): Promise<boolean> {
    const Prefix = this.objectKey(`${key}/`, true);
    const page = await this.call('a listing', () => this.client.send(new ListObjectsV2Command({ Bucket: this.where.bucket, Prefix, MaxKeys: 1 })));
    return (page.KeyCount ?? page.Contents?.length ?? 0) > 0;
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const Key = this.objectKey(key);
    try {
      const object = await this.call('a download', () =>
        this.client.send(new GetObjectCommand({ Bucket: this.where.bucket, Key, ...(range && { Range: `bytes=${range.start}-${range.end}` }) })),
      );
      return object.Body as Readable;
    } catch (error) {
      if (isMissing(error)) throw notFound('file', key);
      throw error;
    }
  }

  async readText(key: string): Promise<string | null> {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of await this.read(key)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      if (error instanceof AppError && error.status === 404) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    const Prefix = this.objectKey(prefix, true);
    const out: BlobInfo[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.call('a listing', () => this.client.send(new ListObjectsV2Command({ Bucket: this.where.bucket, Prefix, ContinuationToken })));
      for (const o of page.Contents ?? []) {
        if (o.Key) out.push({ key: o.Key.slice(this.where.prefix.length), size: o.Size ?? 0, modified: o.LastModified ?? new Date(0) });
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return out;
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.call('a delete', () => this.client.send(new DeleteObjectCommand({ Bucket: this.where.bucket, Key })));
  }

  async deletePrefix(prefix: string): Promise<void> {
    const keys = (await this.list(prefix)).map((b) => this.where.prefix + b.key);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const Objects = keys.slice(i, i + DELETE_BATCH).map((Key) => ({ Key }));
      const result = await this.call('a delete', () => this.client.send(new DeleteObjectsCommand({ Bucket: this.where.bucket, Delete: { Objects, Quiet: true } })));
      if (result.Errors?.length) throw new AppError(503, 'artifact_store_unavailable', `The artifact bucket refused to delete ${result.Errors.length} file(s): ${result.Errors[0]?.Message ?? ''}`);
    }
  }
}
