/** /api/modellab/runs — run tracking: CRUD, search, metric time series, evaluation, latency. Parse → service → present. */
import { principalOf } from '../../http/access';
import { Router } from 'express';
import type { RunSearch, Services } from '../../services';
import { renderReport, type ReportInput } from '../../services/report';
import { handle } from '../../http';
import { presentPoints, presentRun, presentSummary } from '../presenters';
import { contentDisposition } from './datasets';
import {
  BulkRunsBody,
  CreateRunBody,
  ExportRunsQuery,
  GroupRunsQuery,
  ImportanceQuery,
  EvaluateBody,
  IdParams,
  LatencySamplesBody,
  ListRunsQuery,
  LogMetricsBody,
  MetricKeyParams,
  ProfileBody,
  ReportQuery,
  SeriesQuery,
  UpdateRunBody,
} from '../../../src/shared/contract/schemas';
import type { RunListResponse, RunStatus } from '../../../src/shared/contract/types';
import { notFound } from '../../../src/shared/errors';
import { summarizeSamples } from '../../../src/shared/latencyStats';
import type { EvalInput } from '../../../src/shared/evalHarness';
import { parseFilter, parseSort } from '../../../src/shared/runs/filter';
import { parseColumns } from '../../../src/shared/runs/columns';
import { streamText } from '../../http';
import Papa from 'papaparse';

/** A search's status, experiment, filter and sort from a query, parsed (a malformed filter or sort is a 400 naming its position). */
function searchOptionsOf(query: { status?: RunStatus | undefined; experimentId?: string | undefined; filter?: string | undefined; sort?: string | undefined }): RunSearch {
  return {
    ...(query.status && { status: query.status }),
    ...(query.experimentId && { experimentIds: [query.experimentId] }),
    ...(query.filter?.trim() && { filter: parseFilter(query.filter) }),
    ...(query.sort?.trim() && { sort: parseSort(query.sort) }),
  };
}

export function runsRouter({ runs }: Services, log: (message: string, error: unknown) => void, profileAllowedHosts: string[]): Router {
  const router = Router();

  router.get(
    '/',
    handle({ query: ListRunsQuery }, async ({ query }, _req, res): Promise<RunListResponse | undefined> => {
      const options = { limit: query.limit, offset: query.offset, count: query.count, ...searchOptionsOf(query) };
      // The store's JSON of each run, joined as it is: the same bytes res.json would send, without
      // parsing 50 runs and serialising them again.
      const json = runs.searchJson(options);
      if (json) {
        const page = await json;
        res.type('application/json').send(`{"items":[${page.items.join(',')}],"total":${page.total},"more":${page.more},"limit":${query.limit},"offset":${query.offset}}`);
        return undefined;
      }
      const page = await runs.search(options);
      return { items: page.items.map(presentRun), total: page.total, more: page.more, limit: query.limit, offset: query.offset };
    }),
  );

  router.post(
    '/',
    handle({ body: CreateRunBody }, async ({ body }, _req, res) => {
      const run = await runs.create(body, principalOf(res)?.user.name ?? null);
      res.status(201).location(`${run.id}`);
      return presentRun(run);
    }),
  );

  // ---- many runs at once (before /:id: "bulk" and "export" are not run ids)

  router.post(
    '/bulk',
    handle({ body: BulkRunsBody }, async ({ body }, _req, res) => runs.bulk(body, principalOf(res)?.user.name ?? null)),
  );

  router.get(
    '/importance',
    handle({ query: ImportanceQuery }, async ({ query }) =>
      runs.importance(searchOptionsOf(query), query.metric),
    ),
  );

  router.get(
    '/groups',
    handle({ query: GroupRunsQuery }, async ({ query }) => {
      return runs.groups(searchOptionsOf(query), query.by === 'seed-free' ? 'seed-free' : parseColumns(query.by));
    }),
  );

  router.get(
    '/export',
    handle({ query: ExportRunsQuery }, async ({ query }, req, res) => {
      // Everything that can be refused is, before the first byte: a bad filter, sort or column is a 400.
      const columns = query.columns?.trim() ? parseColumns(query.columns) : null;
      const rows = runs.exportCsv(searchOptionsOf(query), columns);
      const first = await rows.next();
      res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', contentDisposition('runs.csv'));
      await streamText(res, first.done ? [] : [first.value], rows);
    }),
  );

  router.get(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => presentRun(await runs.get(params.id))),
  );

  router.put(
    '/:id',
    handle({ params: IdParams, body: UpdateRunBody }, async ({ params, body }, _req, res) => presentRun(await runs.update(params.id, body, principalOf(res)?.user.name ?? null))),
  );

  router.delete(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => {
      await runs.delete(params.id);
    }),
  );

  // ---- metric time series (runs/<id>/metrics.jsonl)

  router.post(
    '/:id/metrics',
    handle({ params: IdParams, body: LogMetricsBody }, async ({ params, body }, _req, res) => {
      const { stored, summaries } = await runs.logMetrics(params.id, body.metrics, log);
      res.status(201);
      return { stored, metrics: summaries.map(presentSummary) };
    }),
  );

  router.get(
    '/:id/metrics',
    handle({ params: IdParams }, async ({ params }) => {
      const items = (await runs.metricSummaries(params.id)).map(presentSummary);
      return { items, total: items.length };
    }),
  );

  router.get(
    '/:id/metrics/:key',
    handle({ params: MetricKeyParams, query: SeriesQuery }, async ({ params, query }, _req, res) => {
      const points = await runs.metricPoints(params.id, params.key, query.format === 'csv' ? Number.MAX_SAFE_INTEGER : query.maxPoints);
      if (!points) throw notFound('metric', params.key);
      if (query.format === 'csv') {
        // Every point, as logged: NaN and the infinities spelled as pandas reads them.
        const rows = points.map((p) => [p.step, Number.isFinite(p.value) ? p.value : String(p.value).replace('Infinity', 'inf'), p.timestamp]);
        res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', contentDisposition(`${params.key.replace(/[^\w.-]+/g, '_')}.csv`));
        res.send(`${Papa.unparse({ fields: ['step', 'value', 'timestamp'], data: rows })}\r\n`);
        return undefined;
      }
      return { key: params.key, points: presentPoints(points) };
    }),
  );

  // ---- evaluation (body limit: MODELLAB_MAX_EVAL_MB, set up in app.ts for this route only)

  router.post(
    '/:id/evaluate',
    handle({ params: IdParams, body: EvaluateBody }, async ({ params, body }) => {
      const { metrics, slices, failureExamples } =
        body.datasetId !== undefined && body.columns !== undefined ? await runs.evaluateFromDataset(params.id, body.datasetId, body.columns, body.config) : await runs.evaluate(params.id, body as EvalInput);
      return { metrics, slices, failureExamples }; // the curves: GET /evaluation (they can be large)
    }),
  );

  router.post(
    '/:id/latency',
    handle({ params: IdParams, body: LatencySamplesBody }, async ({ params, body }) => {
      const config = { source: 'client samples', ...body.config };
      const load = { ...(body.durationMs !== undefined && { durationMs: body.durationMs }), ...(body.errorsByKind && { errorsByKind: body.errorsByKind }) };
      return runs.recordLatency(params.id, summarizeSamples(body.samplesMs, config, load));
    }),
  );

  router.post(
    '/:id/profile',
    handle({ params: IdParams, body: ProfileBody }, async ({ params, body }) =>
      runs.profile(
        params.id,
        body.target,
        {
          ...(body.warmup !== undefined && { warmup: body.warmup }),
          ...(body.concurrency !== undefined && { concurrency: body.concurrency }),
          ...(body.requests !== undefined && { requests: body.requests }),
          ...(body.durationMs !== undefined && { durationMs: body.durationMs }),
          ...(body.rateRps !== undefined && { rateRps: body.rateRps }),
          ...(body.timeoutMs !== undefined && { timeoutMs: body.timeoutMs }),
        },
        profileAllowedHosts,
      ),
    ),
  );

  // The run's stored results, so clients need not know where they are kept.
  router.get(
    '/:id/evaluation',
    handle({ params: IdParams }, async ({ params }) => {
      await runs.get(params.id);
      const { metrics, slices, failureExamples, curves } = await runs.evaluation(params.id);
      return { metrics, slices, failureExamples, curves };
    }),
  );

  router.get(
    '/:id/latency',
    handle({ params: IdParams }, async ({ params }) => ({ profile: await runs.latency(params.id) })),
  );

  router.get(
    '/:id/report',
    handle({ params: IdParams, query: ReportQuery }, async ({ params, query }, _req, res) => {
      const run = await runs.get(params.id);
      const docs = await runs.evaluation(run.id);
      const text = renderReport(
        { run, metrics: docs.metrics as ReportInput['metrics'], slices: docs.slices as ReportInput['slices'], failures: docs.failureExamples as ReportInput['failures'] },
        query.format,
      );
      res.setHeader('Content-Type', query.format === 'html' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8');
      res.setHeader('Content-Disposition', contentDisposition(`modellab-report-${run.name.replace(/[^\w.-]+/g, '_')}.${query.format === 'html' ? 'html' : 'md'}`));
      res.send(text);
    }),
  );

  return router;
}
