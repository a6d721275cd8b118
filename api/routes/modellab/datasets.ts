/** /api/modellab/datasets — immutable, checksummed dataset versions. */
import { Router } from 'express';
import type { Services, UploadSink } from '../../services';
import { badRequest } from '../../../src/shared/errors';
import { DATASET_CONTENT_TYPES } from '../../../src/shared/contract/constants';
import {
  DatasetUploadFields,
  IdParams,
  ListDatasetsQuery,
  PreviewQuery,
  UpdateDatasetBody,
} from '../../../src/shared/contract/schemas';
import type { Dataset, ListResponse } from '../../../src/shared/contract/types';
import { handle, parseInput } from '../../http';
import { presentDataset } from '../presenters';
import { receiveUpload } from '../../http/upload';

/** attachment; filename="ascii-fallback"; filename*=UTF-8''percent-encoded (RFC 6266). */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function datasetsRouter({ datasets }: Services, maxUploadBytes: number): Router {
  const router = Router();

  router.get(
    '/',
    handle({ query: ListDatasetsQuery }, async ({ query }): Promise<ListResponse<Dataset>> => {
      const page = await datasets.list(query);
      return { items: page.items.map(presentDataset), total: page.total, limit: query.limit, offset: query.offset };
    }),
  );

  router.post(
    '/',
    handle({}, async (_input, req, res) => {
      const incoming = await datasets.incoming();
      let sink: UploadSink | null = null;
      try {
        const upload = await receiveUpload(req, res, incoming.dir, maxUploadBytes, (file, length, fields) => (sink = datasets.uploadSink(file, length, fields)));
        const meta = parseInput('body', DatasetUploadFields, upload.fields);
        if (!upload.file) throw badRequest("file: required (multipart field 'file')");
        const result = await datasets.ingest(upload.file, meta, sink);
        res.status(result.deduplicated ? 200 : 201);
        return { ...presentDataset(result), deduplicated: result.deduplicated };
      } finally {
        (sink as UploadSink | null)?.reader?.abort();
        await incoming.cleanup();
      }
    }),
  );

  router.get(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => presentDataset(await datasets.get(params.id))),
  );

  router.get(
    '/:id/preview',
    handle({ params: IdParams, query: PreviewQuery }, async ({ params, query }) => datasets.preview(params.id, query.limit)),
  );

  router.get(
    '/:id/download',
    handle({ params: IdParams }, async ({ params }, _req, res) => {
      const { dataset, stream, size } = await datasets.open(params.id);
      res.setHeader('Content-Type', DATASET_CONTENT_TYPES[dataset.format]);
      res.setHeader('Content-Length', String(size));
      res.setHeader('Content-Disposition', contentDisposition(dataset.originalFilename));
      res.setHeader('ETag', `"${dataset.checksum}"`);
      res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject);
        res.on('close', resolve);
        stream.pipe(res);
      });
    }),
  );

  router.post(
    '/:id/validate',
    handle({ params: IdParams }, async ({ params }, req, res) => {
      const incoming = await datasets.incoming();
      try {
        const upload = await receiveUpload(req, res, incoming.dir, maxUploadBytes);
        if (!upload.file) throw badRequest("file: required (multipart field 'file')");
        return await datasets.validate(params.id, upload.file);
      } finally {
        await incoming.cleanup();
      }
    }),
  );

  router.put(
    '/:id',
    handle({ params: IdParams, body: UpdateDatasetBody }, async ({ params, body }) => {
      return presentDataset(await datasets.update(params.id, body));
    }),
  );

  router.delete(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => {
      await datasets.delete(params.id);
    }),
  );

  return router;
}
