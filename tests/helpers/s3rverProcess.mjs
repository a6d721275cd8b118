/**
 * An S3-protocol server (s3rver) in a process of its own, for tests and benchmarks:
 *   node tests/helpers/s3rverProcess.mjs <folder> <bucket>
 * prints one JSON line {"port", "uploadsDir"} once it listens. Two additions to s3rver, which lacks
 * them: AbortMultipartUpload (DELETE ?uploadId=…: the parts are removed, 204; an unknown upload is
 * 404 NoSuchUpload, as S3 answers), and a fault for tests — a key containing "fail-part-2" has its
 * second part refused with 500 InternalError, every time, as a failing bucket would.
 */
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import S3rver from 's3rver';

const [folder, bucket] = process.argv.slice(2);
if (!folder || !bucket) {
  console.error('usage: s3rverProcess.mjs <folder> <bucket>');
  process.exit(2);
}
const server = new S3rver({ address: '127.0.0.1', port: 0, directory: folder, silent: true, configureBuckets: [{ name: bucket }] });
const uploadsDir = server.store.getResourcePath(bucket, undefined, 'uploads');

const xmlError = (ctx, status, code, message) => {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
};

server.middleware.unshift(async (ctx, next) => {
  const uploadId = ctx.query.uploadId;
  if (ctx.method === 'DELETE' && typeof uploadId === 'string') {
    if (!/^[0-9a-f]+$/.test(uploadId)) return xmlError(ctx, 400, 'InvalidArgument', 'bad upload id');
    const dir = path.join(uploadsDir, uploadId);
    if (!(await stat(dir).catch(() => null))) return xmlError(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    await rm(dir, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'PUT' && ctx.query.partNumber === '2' && decodeURIComponent(ctx.path).includes('fail-part-2')) {
    ctx.req.resume(); // read the part, then refuse it
    await new Promise((resolve) => ctx.req.on('end', resolve));
    return xmlError(ctx, 500, 'InternalError', 'We encountered an internal error. Please try again.');
  }
  return next();
});

const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port, uploadsDir })}\n`);
const stop = () => server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
