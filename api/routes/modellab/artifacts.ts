/** /api/modellab/artifacts/:runId — per-run files: upload, list, download (Range, HEAD, 304), delete. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { checkRelativePath } from '../../../src/shared/artifactPaths';
import { badRequest } from '../../../src/shared/errors';
import type { Services } from '../../services';
import type { ArtifactContent, StagedUpload } from '../../services';
import type { Artifact } from '../../../src/shared/contract/types';
import { handle, parseInput } from '../../http';
import { receiveUpload } from '../../http/upload';
import { contentDisposition } from './datasets';

const RunParams = z.object({ runId: z.string().min(1).max(128) });
const UploadFields = z.strictObject({
  category: z.string().max(64).optional(),
  path: z.string().max(1024).optional(),
});
const UploadQuery = z.object({ overwrite: z.enum(['true', 'false']).optional().transform((v) => v === 'true') });

/** The artifact path of a download/delete URL, from the raw (still percent-encoded) request path. */
function artifactPathOf(req: Request): string {
  return decodeArtifactPath(/^\/[^/]+\/download\/(.*)$/.exec(req.path)?.[1] ?? '');
}

/** A percent-encoded artifact path from a URL, checked as sent and again decoded. */
export function decodeArtifactPath(raw: string): string {
  checkRelativePath(raw); // encoded dots/slashes, backslashes, '..' as sent
  let decoded: string[];
  try {
    decoded = raw.split('/').map((segment) => decodeURIComponent(segment));
  } catch {
    throw badRequest('path: malformed percent-encoding');
  }
  if (decoded.some((segment) => segment.includes('/'))) throw badRequest('path: must not contain encoded slashes');
  const path = decoded.join('/');
  checkRelativePath(path); // and again as it will be used
  return path;
}

/** Parses a single "bytes=" range; null for none or several (then the whole file is sent). */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** Streams an artifact with ETag, Last-Modified, one Range (206/416), If-None-Match (304) and HEAD. */
export async function sendArtifact(req: Request, res: Response, content: ArtifactContent): Promise<void> {
  const { artifact, size } = content;
  const etag = `"${artifact.sha256}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', content.modified.toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('Content-Type', artifact.contentType);
  res.setHeader('Content-Disposition', contentDisposition(artifact.path.split('/').pop()!));
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch && (ifNoneMatch === '*' || ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) {
    res.status(304).end();
    return;
  }
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${size}`);
    res.status(416).json({ error: { code: 'range_not_satisfiable', message: `Range '${req.headers.range}' is outside the file (${size} bytes)` } });
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.status(range ? 206 : 200);
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  const stream = await content.read({ start, end });
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    res.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}

/**
 * A multipart upload (`file`, and `category`/`path` fields) stored as an artifact of a run or a
 * logged model: 201 with its record. The upload's temp folder is removed whatever happens.
 * `category` forces the category (a logged model's files all go under other/, as MLflow lays them out).
 */
export async function receiveArtifact(
  artifacts: Services['artifacts'],
  ownerId: string,
  req: Request,
  res: Response,
  maxUploadBytes: number,
  options: { overwrite: boolean; category?: string },
): Promise<Artifact> {
  await artifacts.ensureOwner(ownerId).catch((error: unknown) => {
    res.setHeader('Connection', 'close'); // answered before the body is read
    throw error;
  });
  const incoming = await artifacts.incoming();
  let staged: StagedUpload | null = null;
  try {
    // The file goes straight to the bucket when the fields sent before it place it (see ArtifactFiles.stage).
    const upload = await receiveUpload(req, res, incoming.dir, maxUploadBytes, (file, _length, fieldsSoFar) => {
      staged = artifacts.stage(ownerId, { category: options.category ?? fieldsSoFar.category, path: fieldsSoFar.path, filename: file.originalFilename });
      return staged?.blob.stream ?? null;
    });
    const fields = parseInput('body', UploadFields, upload.fields);
    if (options.category && fields.category !== undefined) throw badRequest(`category: not accepted here (files go under ${options.category}/)`);
    if (!upload.file) throw badRequest("file: required (multipart field 'file')");
    const artifact = await artifacts.save(ownerId, upload.file, { category: options.category ?? fields.category, path: fields.path, overwrite: options.overwrite, staged });
    res.status(201);
    return artifact;
  } finally {
    await (staged as StagedUpload | null)?.blob.abort(); // what was not committed leaves nothing in the bucket
    await incoming.cleanup();
  }
}

export function artifactsRouter({ artifacts }: Services, maxUploadBytes: number): Router {
  const router = Router();

  router.get(
    '/:runId',
    handle({ params: RunParams }, async ({ params }) => ({ items: await artifacts.list(params.runId) })),
  );

  router.post(
    '/:runId',
    handle({ params: RunParams, query: UploadQuery }, async ({ params, query }, req, res) => receiveArtifact(artifacts, params.runId, req, res, maxUploadBytes, { overwrite: query.overwrite })),
  );

  const download = handle({ params: RunParams.passthrough() }, async ({ params }, req, res) => {
    await sendArtifact(req, res, await artifacts.open(params.runId, artifactPathOf(req)));
  });
  router.get('/:runId/download/*rest', download); // GET also answers HEAD
  router.delete(
    '/:runId/download/*rest',
    handle({ params: RunParams.passthrough() }, async ({ params }, req) => {
      await artifacts.remove(params.runId, artifactPathOf(req));
    }),
  );

  return router;
}
