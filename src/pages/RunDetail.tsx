/** One run: what went in, how it went (live metric charts), what came out; status actions, tags, notes. */
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import styled from 'styled-components';
import { ArtifactsPanel } from '../components/artifacts/ArtifactsPanel';
import { EvaluationPanel } from '../components/evaluation/EvaluationPanel';
import { LatencyPanel } from '../components/latency/LatencyPanel';
import { RunModelsPanel } from '../components/models/RunModelsPanel';
import { CurveControls, CurvesChart, DEFAULT_CURVE_OPTIONS } from '../components/charts/CurvesChart';
import type { CurvePoint } from '../shared/charts/curves';
import { ValueTree } from '../components/ValueTree';
import { Button, Card, CardTitle, Empty, ErrorState, Facts, Field, formatDate, formatNumber, InlineError, Loading, Mono, PageTitle, StatusBadge } from '../components/ui';
import { useApi } from '../hooks/useApi';
import { useLiveEvents } from '../hooks/useLiveEvents';
import { client } from '../apiClient';
import { TAG_USER } from '../shared/runs/mlflowNames';
import { RUN_TRANSITIONS } from '../shared/runs/lifecycle';
import type { MetricSummaryView, Run, RunStatus } from '../shared/contract/types';


const Tabs = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(1)};
  border-bottom: 1px solid ${({ theme }) => theme.colors.border};
  margin-bottom: ${({ theme }) => theme.space(4)};
  button {
    all: unset;
    cursor: pointer;
    padding: ${({ theme }) => `${theme.space(2)} ${theme.space(3)}`};
    border-bottom: 2px solid transparent;
  }
  button[aria-selected='true'] {
    border-bottom-color: ${({ theme }) => theme.colors.primary};
    color: ${({ theme }) => theme.colors.primary};
    font-weight: 600;
  }
`;

const Actions = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(2)};
  align-items: center;
  margin-bottom: ${({ theme }) => theme.space(4)};
`;

const DangerButton = styled(Button)`
  background: ${({ theme }) => theme.colors.danger};
`;

const Charts = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 360px), 1fr));
  gap: ${({ theme }) => theme.space(4)};
  > figure {
    margin: 0;
    min-width: 0; /* let the chart shrink with the grid cell instead of widening the page */
  }
`;

const TagRow = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(2)};
  align-items: center;
  margin-bottom: ${({ theme }) => theme.space(2)};
  input {
    font: inherit;
    padding: ${({ theme }) => theme.space(1)};
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: 4px;
    min-width: 0;
    flex: 1 1 120px;
  }
`;

function duration(run: Run): string {
  if (!run.startedAt) return '—';
  const ms = (run.endedAt ? Date.parse(run.endedAt) : Date.now()) - Date.parse(run.startedAt);
  const s = Math.round(ms / 1000);
  const text = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return run.endedAt ? text : `${text} (running)`;
}

function MetricCharts({ runId }: { runId: string }) {
  const [series, setSeries] = useState<{ summary: MetricSummaryView; points: CurvePoint[] }[] | null>(null);
  const [options, setOptions] = useState(DEFAULT_CURVE_OPTIONS);
  const [error, setError] = useState<Error | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let current = true;
    (async () => {
      const { items } = await client.metricSummaries(runId);
      // Charts draw the finite points; NaN and infinities are counted in the caption instead.
      const finite = (points: { step: number; value: unknown; timestamp: number }[]) => points.filter((p): p is CurvePoint => typeof p.value === 'number');
      const loaded = await Promise.all(items.map(async (summary) => ({ summary, points: finite((await client.metricSeries(runId, summary.key, 500)).points) })));
      if (current) {
        setSeries(loaded);
        setError(null);
      }
    })().catch((e: Error) => current && setError(e));
    return () => {
      current = false;
    };
  }, [runId, tick]);

  // Points arrive as metrics.logged, or within a larger change (MLflow's log-batch with params): run.updated naming 'metrics'.
  useLiveEvents(['metrics.logged', 'run.updated'], () => setTick((t) => t + 1), 1000, (event) =>
    event.type === 'metrics.logged' ? event.data.runId === runId : event.data.id === runId && Array.isArray(event.data.fields) && event.data.fields.includes('metrics'),
  );

  if (error) return <ErrorState error={error} onRetry={() => setTick((t) => t + 1)} />;
  if (!series) return <Loading what="metrics" />;
  if (series.length === 0) return <Empty>No metrics logged yet. POST /api/modellab/runs/{runId}/metrics; charts appear here as points arrive.</Empty>;
  return (
    <>
    <CurveControls options={options} onChange={setOptions} />
    <Charts>
      {series.map(({ summary, points }) => (
        <figure key={summary.key} data-testid={`metric-chart-${summary.key}`}>
          <figcaption>
            <strong>{summary.key}</strong> — last {formatNumber(summary.last)} (step {summary.lastStep}), min {formatNumber(summary.min)}, max {formatNumber(summary.max)},{' '}
            <span data-testid={`metric-count-${summary.key}`}>{summary.count}</span> points
            {summary.nonFinite > 0 && (
              <span data-testid={`metric-nonfinite-${summary.key}`}>
                {' '}
                ({summary.nonFinite} NaN or infinite, not drawn)
              </span>
            )}
          </figcaption>
          <CurvesChart series={[{ id: runId, name: summary.key, points }]} options={options} height={200} />
          <a href={client.metricCsvUrl(runId, summary.key)} download style={{ fontSize: '0.8rem' }}>
            every point as CSV
          </a>
        </figure>
      ))}
    </Charts>
    </>
  );
}

function TagsEditor({ run, onSaved }: { run: Run; onSaved: (run: Run) => void }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const save = async (tags: Record<string, string | null>) => {
    try {
      onSaved(await client.updateRun(run.id, { tags }));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <>
      {Object.entries(run.tags).map(([k, v]) => (
        <TagRow key={k}>
          <Mono>
            {k} = {v}
          </Mono>
          <Button type="button" onClick={() => void save({ [k]: null })} aria-label={`Remove tag ${k}`} style={{ padding: '2px 8px' }}>
            ×
          </Button>
        </TagRow>
      ))}
      <TagRow
        as="form"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          if (!key.trim()) return;
          void save({ [key.trim()]: value }).then(() => {
            setKey('');
            setValue('');
          });
        }}
      >
        <input aria-label="Tag key" placeholder="key" value={key} onChange={(e) => setKey(e.target.value)} />
        <input aria-label="Tag value" placeholder="value" value={value} onChange={(e) => setValue(e.target.value)} />
        <Button type="submit">Add tag</Button>
      </TagRow>
      {error && <InlineError role="alert">{error}</InlineError>}
    </>
  );
}

function NotesEditor({ run, onSaved }: { run: Run; onSaved: (run: Run) => void }) {
  const [notes, setNotes] = useState(run.notes);
  const [state, setState] = useState<'idle' | 'saving' | 'saved' | string>('idle');
  useEffect(() => setNotes(run.notes), [run.notes]);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setState('saving');
        client.updateRun(run.id, { notes }).then(
          (r) => {
            onSaved(r);
            setState('saved');
          },
          (err: Error) => setState(err.message),
        );
      }}
    >
      <Field>
        Notes
        <textarea value={notes} onChange={(e) => setNotes(e.target.value)} rows={4} />
      </Field>
      <Actions style={{ marginTop: 8 }}>
        <Button type="submit" disabled={notes === run.notes || state === 'saving'}>
          Save notes
        </Button>
        {state === 'saved' && <span role="status">Saved</span>}
        {state !== 'idle' && state !== 'saved' && state !== 'saving' && <InlineError role="alert">{state}</InlineError>}
      </Actions>
    </form>
  );
}

const TABS = ['Overview', 'Evaluation', 'Artifacts', 'Models', 'Latency'] as const;

export default function RunDetail() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const loaded = useApi(() => client.getRun(id), [id]);
  const experiments = useApi(() => client.listExperiments('all'), []);
  const [run, setRun] = useState<Run | null>(null);
  const [tab, setTab] = useState<(typeof TABS)[number]>('Overview');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => setRun(loaded.data), [loaded.data]);
  useLiveEvents(['run.updated', 'metrics.logged'], () => loaded.reload(), 1000, (event) => event.data.id === id || event.data.runId === id);

  if (loaded.loading && !run) return <Loading what="run" />;
  if (loaded.error || !run) {
    return (
      <>
        <PageTitle>Run</PageTitle>
        {loaded.error && <ErrorState error={loaded.error} onRetry={loaded.reload} />}
        <Link to="/runs">Back to runs</Link>
      </>
    );
  }

  const setStatus = async (status: RunStatus) => {
    try {
      setRun(await client.updateRun(run.id, { status }));
      setActionError(null);
    } catch (e) {
      setActionError((e as Error).message);
    }
  };

  const remove = async () => {
    try {
      await client.deleteRun(run.id);
      navigate('/runs');
    } catch (e) {
      setActionError((e as Error).message);
    }
  };

  return (
    <>
      <PageTitle>
        {run.name} <StatusBadge status={run.status} />
      </PageTitle>
      <Actions>
        {RUN_TRANSITIONS[run.status].map((next) => (
          <Button key={next} type="button" onClick={() => void setStatus(next)}>
            Mark {next}
          </Button>
        ))}
        {confirmDelete ? (
          <>
            <span>Delete this run, its metrics and artifacts?</span>
            <DangerButton type="button" onClick={() => void remove()}>
              Yes, delete
            </DangerButton>
            <Button type="button" onClick={() => setConfirmDelete(false)}>
              Cancel
            </Button>
          </>
        ) : (
          <DangerButton type="button" onClick={() => setConfirmDelete(true)}>
            Delete
          </DangerButton>
        )}
      </Actions>
      {actionError && <InlineError role="alert">{actionError}</InlineError>}
      <Tabs role="tablist">
        {TABS.map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} type="button" onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </Tabs>
      {tab === 'Artifacts' && <ArtifactsPanel runId={run.id} />}
      {tab === 'Models' && <RunModelsPanel runId={run.id} />}
      {tab === 'Evaluation' && <EvaluationPanel runId={run.id} />}
      {tab === 'Latency' && <LatencyPanel runId={run.id} />}
      {tab === 'Overview' && (
        <>
          <Card>
            <Facts>
              <dt>Id</dt>
              <dd>
                <Mono>{run.id}</Mono>
              </dd>
              <dt>Experiment</dt>
              <dd>
                <Link to={`/runs?experiment=${run.experimentId}`}>{experiments.data?.items.find((e) => e.id === run.experimentId)?.name ?? run.experimentId}</Link>
                {run.lifecycleStage === 'deleted' && ' (run deleted through MLflow; restore it with runs/restore)'}
              </dd>
              <dt>Created</dt>
              <dd>
                {formatDate(run.createdAt)}
                {run.tags[TAG_USER] && <> by {run.tags[TAG_USER]}</>}
              </dd>
              <dt>Started</dt>
              <dd>{formatDate(run.startedAt)}</dd>
              <dt>Ended</dt>
              <dd>{formatDate(run.endedAt)}</dd>
              <dt>Duration</dt>
              <dd>{duration(run)}</dd>
              <dt>Seed</dt>
              <dd>
                <Mono>{run.seed}</Mono>
              </dd>
              <dt>Git commit</dt>
              <dd>
                <Mono>{run.gitCommit ?? '—'}</Mono>
                {run.gitBranch && ` on ${run.gitBranch}`}
                {run.gitDirty && ' (uncommitted changes)'}
              </dd>
              <dt>Dataset</dt>
              <dd>{run.datasetId ? <Link to={`/datasets/${run.datasetId}`}>{run.datasetId}</Link> : '—'}</dd>
              {run.inputs.length > 0 && (
                <>
                  <dt>Inputs (MLflow)</dt>
                  <dd data-testid="run-inputs">
                    {run.inputs.map((input) => (
                      <div key={`${input.name}@${input.digest}`}>
                        {input.datasetId ? <Link to={`/datasets/${input.datasetId}`}>{input.name}</Link> : input.name} <Mono>{input.digest}</Mono>
                        {input.tags['mlflow.data.context'] && ` (${input.tags['mlflow.data.context']})`}
                      </div>
                    ))}
                  </dd>
                </>
              )}
              {run.description && (
                <>
                  <dt>Description</dt>
                  <dd>{run.description}</dd>
                </>
              )}
            </Facts>
          </Card>
          <Card>
            <CardTitle>Metrics</CardTitle>
            <MetricCharts runId={run.id} />
          </Card>
          <Card>
            <CardTitle>Hyperparameters</CardTitle>
            <ValueTree value={run.hyperparameters} />
          </Card>
          <Card>
            <CardTitle>Config</CardTitle>
            <ValueTree value={run.config} />
          </Card>
          <Card>
            <CardTitle>Tags</CardTitle>
            <TagsEditor run={run} onSaved={setRun} />
          </Card>
          <Card>
            <NotesEditor run={run} onSaved={setRun} />
          </Card>
        </>
      )}
    </>
  );
}
