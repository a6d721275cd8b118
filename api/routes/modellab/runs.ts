/** /api/modellab/runs — run tracking: CRUD, search, metric time series. */
import { Router } from 'express';
import { parseFilter, parseSort } from '../../../src/shared/runs/filter';
import { newRun, updatedRun } from '../../../src/shared/runs/lifecycle';
import {
  CreateRunBody,
  EvaluateBody,
  IdParams,
  LatencySamplesBody,
  ProfileBody,
  ListRunsQuery,
  LogMetricsBody,
  MetricKeyParams,
  ReportQuery,
  SeriesQuery,
  UpdateRunBody,
} from '../../../src/shared/contract/schemas';
import type { EvalInput } from '../../../src/shared/evalHarness';
import { summarizeSamples } from '../../../src/shared/latencyStats';
import { renderReport, type ReportInput } from '../../services/report';
import { readLatency, recordLatency } from '../../services/latency';
import { evaluateRun, readEvaluation } from '../../services/evaluations';
import type { Services } from '../../services';
import type { ListResponse, Run } from '../../../src/shared/contract/types';
import { badRequest, forbidden, notFound } from '../../../src/shared/errors';
import { profile } from '../../latencyProfiler';
import { handle } from '../../http';
import { presentRun } from '../presenters';
import { contentDisposition } from './datasets';

export function runsRouter(
  { store, series, events, gitInfo, deleteRun, artifacts, logMetrics }: Services,
  log: (message: string, error: unknown) => void,
  profileAllowedHosts: string[],
): Router {
  const router = Router();

  router.get(
    '/',
    handle({ query: ListRunsQuery }, async ({ query }): Promise<ListResponse<Run>> => {
      const page = await store.listRuns({
        limit: query.limit,
        offset: query.offset,
        ...(query.status && { status: query.status }),
        ...(query.experimentId && { experimentIds: [query.experimentId] }),
        ...(query.filter?.trim() && { filter: parseFilter(query.filter) }),
        ...(query.sort?.trim() && { sort: parseSort(query.sort) }),
      });
      return { items: page.items.map(presentRun), total: page.total, limit: query.limit, offset: query.offset };
    }),
  );

  router.post(
    '/',
    handle({ body: CreateRunBody }, async ({ body }, _req, res) => {
      const git = body.gitCommit ? { commit: null, branch: null, dirty: null } : await gitInfo();
      const run = await store.createRun(newRun(body, git));
      events.publish('run.created', { id: run.id, name: run.name, status: run.status });
      res.status(201).location(`${run.id}`);
      return presentRun(run);
    }),
  );

  router.get(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => presentRun(await store.getRun(params.id))),
  );

  router.put(
    '/:id',
    handle({ params: IdParams, body: UpdateRunBody }, async ({ params, body }) => {
      const run = await store.updateRun(params.id, (current) => updatedRun(current, body));
      events.publish('run.updated', { id: run.id, name: run.name, status: run.status, fields: Object.keys(body) });
      return presentRun(run);
    }),
  );

  router.delete(
    '/:id',
    handle({ params: IdParams }, async ({ params }) => {
      await deleteRun(params.id);
      events.publish('run.deleted', { id: params.id });
    }),
  );

  // ---- metric time series (runs/<id>/metrics.jsonl)

  router.post(
    '/:id/metrics',
    handle({ params: IdParams, body: LogMetricsBody }, async ({ params, body }, _req, res) => {
      const { stored, summaries } = await logMetrics(params.id, body.metrics, log);
      res.status(201);
      return { stored, metrics: summaries };
    }),
  );

  router.get(
    '/:id/metrics',
    handle({ params: IdParams }, async ({ params }) => {
      await store.getRun(params.id);
      const items = await series.summaries(params.id);
      return { items, total: items.length };
    }),
  );

  router.get(
    '/:id/metrics/:key',
    handle({ params: MetricKeyParams, query: SeriesQuery }, async ({ params, query }) => {
      await store.getRun(params.id);
      const points = await series.points(params.id, params.key, query.maxPoints);
      if (!points) throw notFound('metric', params.key);
      return { key: params.key, points };
    }),
  );

  // ---- evaluation (body limit: MODELLAB_MAX_EVAL_MB, set up in app.ts for this route only)

  router.post(
    '/:id/evaluate',
    handle({ params: IdParams, body: EvaluateBody }, async ({ params, body }) => {
      const docs = await evaluateRun(store, artifacts, params.id, body as EvalInput);
      events.publish('run.updated', { id: params.id, fields: ['metrics', 'evaluation'] });
      return docs;
    }),
  );

  router.post(
    '/:id/latency',
    handle({ params: IdParams, body: LatencySamplesBody }, async ({ params, body }) => {
      const config = { source: 'client samples', ...body.config };
      const load = { ...(body.durationMs !== undefined && { durationMs: body.durationMs }), ...(body.errorsByKind && { errorsByKind: body.errorsByKind }) };
      const result = await recordLatency(store, artifacts, params.id, summarizeSamples(body.samplesMs, config, load));
      events.publish('run.updated', { id: params.id, fields: ['latency'] });
      return result;
    }),
  );

  router.post(
    '/:id/profile',
    handle({ params: IdParams, body: ProfileBody }, async ({ params, body }) => {
      // Checked before any connection or DNS lookup: profiling must not become a way to make the server call arbitrary hosts.
      const target = new URL(body.target.url);
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw badRequest('target.url: must be http or https');
      const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
      if (!profileAllowedHosts.includes(host)) {
        throw forbidden(`target host '${host}' is not in MODELLAB_PROFILE_ALLOWED_HOSTS (${profileAllowedHosts.join(', ')})`);
      }
      await store.getRun(params.id);
      const result = await profile(body.target, {
        ...(body.warmup !== undefined && { warmup: body.warmup }),
        ...(body.concurrency !== undefined && { concurrency: body.concurrency }),
        ...(body.requests !== undefined && { requests: body.requests }),
        ...(body.durationMs !== undefined && { durationMs: body.durationMs }),
        ...(body.rateRps !== undefined && { rateRps: body.rateRps }),
        ...(body.timeoutMs !== undefined && { timeoutMs: body.timeoutMs }),
        onProgress: (progress) => events.publish('profile.progress', { runId: params.id, ...progress }),
      });
      const stored = await recordLatency(store, artifacts, params.id, result);
      events.publish('run.updated', { id: params.id, fields: ['latency'] });
      return stored;
    }),
  );

  // The run's stored results, so clients need not know where they are kept.
  router.get(
    '/:id/evaluation',
    handle({ params: IdParams }, async ({ params }) => {
      await store.getRun(params.id);
      const { metrics, slices, failureExamples } = await readEvaluation(artifacts, params.id);
      return { metrics, slices, failureExamples };
    }),
  );

  router.get(
    '/:id/latency',
    handle({ params: IdParams }, async ({ params }) => ({ profile: await readLatency(store, artifacts, params.id) })),
  );

  router.get(
    '/:id/report',
    handle({ params: IdParams, query: ReportQuery }, async ({ params, query }, _req, res) => {
      const run = await store.getRun(params.id);
      const docs = await readEvaluation(artifacts, run.id);
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
