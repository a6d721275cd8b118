/**
 * A file written straight to its key in a bucket while it arrives, invisible until committed: an S3
 * multipart upload whose completion is the commit. The bytes are copied into part buffers of
 * `partSize`, at most `queueSize` of them uploading at once while the next one fills; the buffers
 * are reused, so memory stays (queueSize + 1) × partSize whatever the file's size (no garbage for
 * the collector to fall behind on), and the writer's callbacks hold the sender back (backpressure)
 * while the queue is full. A file smaller than one part is kept in memory and
 * stored with one PUT at commit. abort() (on any failure, or when the caller refuses the upload
 * after receiving it) removes every part, so nothing is left in the bucket.
 *
 * Written here rather than with @aws-sdk/lib-storage's Upload because Upload completes the
 * multipart upload as soon as its body ends: there is no moment left to check the received file
 * (its fields, a conflicting path, the size limit) and refuse it with the key's old content intact.
 */
import { Writable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { StagedBlob } from './blobStore';

export interface StagedTarget {
  client: S3Client;
  bucket: string;
  key: string;
  contentType: string;
  partSize: number;
  queueSize: number;
  /** Turns an S3 failure into the error to report (e.g. 503 in the error shape). */
  failure: (what: string, error: unknown) => Error;
}

export class S3StagedBlob implements StagedBlob {
  readonly stream: Writable;
  /** Part buffers, reused once their part is uploaded: at most queueSize + 1 of them ever exist. */
  private readonly spare: Buffer[] = [];
  private allocated = 0;
  private current: Buffer | null = null;
  private filled = 0;
  private uploadId: Promise<string> | null = null;
  private nextPart = 1;
  private readonly parts: { PartNumber: number; ETag: string }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failed: Error | null = null;
  private state: 'writing' | 'committed' | 'aborted' = 'writing';

  constructor(private readonly target: StagedTarget) {
    this.stream = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.fill(chunk).then(() => callback(), callback);
      },
      final: (callback) => {
        // A file of less than one part stays in memory for one PUT at commit.
        const finish = this.uploadId === null ? Promise.resolve() : this.filled > 0 ? this.sendPart().then(() => this.settled()) : this.settled();
        finish.then(() => callback(this.failed), callback);
      },
    });
  }

  /** Copies the chunk into part buffers, sending each one that fills. */
  private async fill(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current === null) this.current = await this.buffer();
      const n = chunk.copy(this.current, this.filled, offset);
      this.filled += n;
      offset += n;
      if (this.filled === this.target.partSize) await this.sendPart();
    }
  }

  /** A free part buffer: a spare one, a new one while fewer than queueSize + 1 exist, else the next to come back. */
  private async buffer(): Promise<Buffer> {
    for (;;) {
      if (this.failed) throw this.failed;
      if (this.state !== 'writing') throw new Error('the upload was aborted');
      const spare = this.spare.pop();
      if (spare) return spare;
      if (this.allocated <= this.target.queueSize) {
        this.allocated++;
        return Buffer.allocUnsafeSlow(this.target.partSize);
      }
      await Promise.race(this.inFlight);
    }
  }

  /** Queues the filled buffer as the next part, once fewer than queueSize parts are uploading. */
  private async sendPart(): Promise<void> {
    while (this.inFlight.size >= this.target.queueSize && !this.failed) await Promise.race(this.inFlight);
    if (this.failed) throw this.failed;
    if (this.state !== 'writing') throw new Error('the upload was aborted');
    const { client, bucket: Bucket, key: Key, contentType: ContentType } = this.target;
    this.uploadId ??= client
      .send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }))
      .then((r) => r.UploadId!)
      .catch((error: unknown) => {
        throw this.target.failure('an upload', error);
      });
    const PartNumber = this.nextPart++;
    const buffer = this.current!;
    const Body = buffer.subarray(0, this.filled);
    this.current = null;
    this.filled = 0;
    const part = this.uploadId
      .then((UploadId) => client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body })))
      .then(
        (r) => {
          this.parts.push({ PartNumber, ETag: r.ETag! });
          this.spare.push(buffer);
        },
        (error: unknown) => {
          this.failed ??= this.target.failure('an upload', error);
        },
      )
      .finally(() => this.inFlight.delete(part));
    this.inFlight.add(part);
  }

  /** Waits for every part in flight; rejects with the first failure. */
  private async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.failed) throw this.failed;
  }

  async commit(): Promise<void> {
    if (this.state !== 'writing' || !this.stream.writableFinished) throw new Error('commit() needs a finished, unaborted upload');
    const { client, bucket: Bucket, key: Key, contentType: ContentType } = this.target;
    try {
      if (this.uploadId === null) {
        const Body = this.current ? this.current.subarray(0, this.filled) : Buffer.alloc(0);
        await client.send(new PutObjectCommand({ Bucket, Key, Body, ContentType }));
      } else {
        const UploadId = await this.uploadId;
        const Parts = [...this.parts].sort((a, b) => a.PartNumber - b.PartNumber);
        await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }));
      }
      this.state = 'committed';
    } catch (error) {
      await this.abort();
      throw this.target.failure('an upload', error);
    }
    this.release();
  }

  private release(): void {
    this.current = null;
    this.filled = 0;
    this.spare.length = 0;
  }

  async abort(): Promise<void> {
    if (this.state !== 'writing') return;
    this.state = 'aborted';
    if (!this.stream.destroyed && !this.stream.writableFinished) this.stream.destroy();
    // Parts still uploading would survive an abort sent before them: wait for them first.
    await Promise.allSettled([...this.inFlight]);
    this.release();
    if (this.uploadId === null) return;
    const UploadId = await this.uploadId.catch(() => null);
    if (UploadId === null) return;
    const { client, bucket: Bucket, key: Key } = this.target;
    // When the bucket refuses even this, the parts stay until its lifecycle rule removes them (README).
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
  }
}
