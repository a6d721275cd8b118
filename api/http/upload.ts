/** multipart/form-data uploads: one file streamed to disk by formidable with its SHA-256 computed on the way. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import formidable, { errors as formidableErrors } from 'formidable';
import { AppError, badRequest, payloadTooLarge, unsupportedMediaType } from '../../src/shared/errors';
import type { ReceivedFile } from '../storage';
import { createUploadFileStream } from '../storage';
import { installMultipartSkip } from './multipartSkip';

installMultipartSkip();

export interface Upload {
  fields: Record<string, string>;
  file: ReceivedFile | null;
}

/**
 * Makes the stream an uploaded file is written to, given its path, original name, the request's
 * Content-Length and the form fields received before the file. Lets the engine read the file while
 * it arrives, or the blob store take it; null keeps the default (the file at its path, synced).
 */
export type SinkFactory = (file: { filepath: string; originalFilename: string }, contentLength: number, fieldsSoFar: Record<string, string>) => Writable | null;

/**
 * Receives one multipart request into `dir` (which the caller removes afterwards). Fields with more
 * than one value, a second file or a file over `maxBytes` are refused. The file is on disk (synced)
 * when this resolves; `sink` may replace the stream it is written to (it must do the same).
 */
export async function receiveUpload(req: Request, res: Response, dir: string, maxBytes: number, sink?: SinkFactory, fileField = 'file'): Promise<Upload> {
  if (!req.is('multipart/form-data')) throw unsupportedMediaType(`Send the file as multipart/form-data with the field '${fileField}'`);
  const fieldsSoFar: Record<string, string> = {};
  const contentLength = Number(req.headers['content-length'] ?? 0);
  const makeStream = (file: { filepath: string; originalFilename: string }, length: number, fields: Record<string, string>): Writable =>
    sink?.(file, length, fields) ?? createUploadFileStream(file.filepath);
  const streams: Writable[] = [];
  const form = formidable({
    // formidable passes its VolatileFile (filepath, originalFilename), though its types say otherwise.
    fileWriteStreamHandler: (file?: unknown) => {
      const f = file as { filepath: string; originalFilename: string | null };
      const stream = makeStream({ filepath: f.filepath, originalFilename: f.originalFilename ?? 'upload' }, contentLength, { ...fieldsSoFar });
      streams.push(stream);
      return stream;
    },
    uploadDir: dir,
    maxFiles: 1,
    maxFileSize: maxBytes,
    maxTotalFileSize: maxBytes,
    allowEmptyFiles: true,
    minFileSize: 0,
    maxFields: 20,
    maxFieldsSize: 2 * 1024 * 1024,
    hashAlgorithm: 'sha256',
    filter: (part) => part.name === fileField,
  });
  form.on('field', (name: string, value: string) => {
    fieldsSoFar[name] = value;
  });
  try {
    const [fields, files] = await form.parse(req);
    // formidable can miss a file stream's error that comes after the body has ended (it then reports
    // success for a file that was not stored in full): check the streams themselves.
    for (const stream of streams) {
      if (stream.errored) throw stream.errored;
      if (!stream.writableFinished) throw Object.assign(new Error('the file was not completely written'), { code: 'EIO' });
    }
    const flat: Record<string, string> = {};
    for (const [key, values] of Object.entries(fields)) {
      if (!values) continue;
      if (values.length > 1) throw badRequest(`${key}: given more than once`);
      flat[key] = values[0]!;
    }
    const file = files[fileField]?.[0];
    return {
      fields: flat,
      file: file
        ? { path: file.filepath, originalFilename: file.originalFilename ?? 'upload', size: file.size, sha256: String(file.hash) }
        : null,
    };
  } catch (error) {
    if (error instanceof AppError) throw error;
    const e = error as { code?: number | string; httpCode?: number; message?: string };
    // The client may still be sending: close the connection after answering instead of reading it all.
    res.setHeader('Connection', 'close');
    if (e.code === formidableErrors.biggerThanMaxFileSize || e.code === formidableErrors.biggerThanTotalMaxFileSize) {
      throw payloadTooLarge(`The file is larger than the limit of ${Math.round(maxBytes / 1024 / 1024)} MB (MODELLAB_MAX_UPLOAD_MB)`);
    }
    if (e.code === formidableErrors.maxFilesExceeded) throw badRequest('Send one file per request');
    if (typeof e.code === 'string') throw storageFailed(e as NodeJS.ErrnoException);
    throw badRequest(`The multipart body could not be read: ${e.message ?? 'unknown error'}`);
  }
}

/** A file-system error while storing an upload (disk full, I/O error): the server's fault, not the client's. */
function storageFailed(error: NodeJS.ErrnoException): AppError {
  const full = error.code === 'ENOSPC' || error.code === 'EDQUOT';
  return new AppError(full ? 507 : 500, full ? 'insufficient_storage' : 'storage_failed', `The upload could not be stored (${error.code}): ${error.message}`);
}

/**
 * Receives a raw request body (e.g. an MLflow artifact PUT) into a file in `dir`, hashing it on the
 * way; over `maxBytes` (by Content-Length up front, or counted) is 413, and the partial file is left
 * for the caller's cleanup of `dir`. The file is on disk (synced) when this resolves.
 */
export async function receiveRawBody(
  req: Request,
  dir: string,
  filename: string,
  maxBytes: number,
  open: (file: string) => Writable = createUploadFileStream,
): Promise<ReceivedFile> {
  const tooLarge = () => payloadTooLarge(`The file is larger than the limit of ${Math.round(maxBytes / 1024 / 1024)} MB (MODELLAB_MAX_UPLOAD_MB)`);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const file = path.join(dir, 'body');
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) return callback(tooLarge());
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const out = open(file);
  try {
    await pipeline(req, meter, out);
  } catch (error) {
    if (out.errored === error && !(error instanceof AppError)) throw storageFailed(error as NodeJS.ErrnoException);
    throw error;
  }
  return { path: file, originalFilename: filename, size, sha256: hash.digest('hex') };
}
