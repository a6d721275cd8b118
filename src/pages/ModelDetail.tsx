/**
 * One registered model: its versions (source run, the run's headline metrics with CIs, dataset
 * version, status, stage), its aliases with a control to move one, and a diff of two versions (their
 * runs through Compare: paired significance when evaluated on the same examples, and the config diff).
 * The diff's selection lives in the URL (?a=1&b=2).
 */
import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import styled from 'styled-components';
import { AliasBadge, StageBadge } from '../components/models/badges';
import { Button, Card, CardTitle, Empty, ErrorState, Facts, Field, formatDate, formatNumber, InlineError, Loading, Mono, PageTitle, StatusBadge, Table, TableScroll } from '../components/ui';
import { useApi } from '../hooks/useApi';
import { useLiveEvents } from '../hooks/useLiveEvents';
import { client } from '../apiClient';
import { MODEL_STAGES, type ModelStage, type ModelVersionDiff, type ModelVersionView } from '../shared/contract/registry';
import type { EvaluationResponse, MetricWithCi, Run } from '../shared/contract/types';
import { previewJson } from '../shared/jsonDepth';

const Row = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(2)};
  align-items: flex-end;
  > label {
    flex: 1 1 160px;
  }
`;

const Ci = styled.span`
  color: ${({ theme }) => theme.colors.muted};
  font-size: 0.85em;
`;

const Significant = styled.strong<{ $good: boolean }>`
  color: ${({ theme, $good }) => ($good ? theme.colors.good : theme.colors.bad)};
`;

const HEADLINE = ['accuracy', 'f1_macro', 'roc_auc', 'r2', 'rmse', 'mae'];
const LOWER_IS_BETTER = /(loss|error|mae|mse|rmse|mape|brier)/i;

interface RunInfo {
  run: Run | null;
  evaluation: EvaluationResponse | null;
}

/** A value with its interval, as "0.912 [0.897, 0.925]". */
function WithCi({ metric }: { metric: Pick<MetricWithCi, 'value'> & { ci: MetricWithCi['ci'] | null } }) {
  return (
    <>
      {formatNumber(metric.value)}
      {metric.ci && metric.ci.lower !== null && (
        <Ci>
          {' '}
          [{formatNumber(metric.ci.lower)}, {formatNumber(metric.ci.upper)}]
        </Ci>
      )}
    </>
  );
}

/** The first headline metrics of a run: its evaluation's (with CIs), else its logged values. */
function HeadlineMetrics({ info }: { info: RunInfo | undefined }) {
  if (!info?.run) return <>—</>;
  const evaluated = info.evaluation?.metrics.metrics;
  if (evaluated) {
    const keys = [...HEADLINE.filter((k) => evaluated[k]?.value != null), ...Object.keys(evaluated).filter((k) => !HEADLINE.includes(k) && evaluated[k]?.value != null)].slice(0, 2);
    return (
      <>
        {keys.map((k) => (
          <div key={k}>
            {k} <WithCi metric={evaluated[k]!} />
          </div>
        ))}
      </>
    );
  }
  const logged = Object.entries(info.run.metrics).slice(0, 2);
  if (logged.length === 0) return <>—</>;
  return (
    <>
      {logged.map(([k, v]) => (
        <div key={k}>
          {k} {formatNumber(v)}
        </div>
      ))}
    </>
  );
}

function AliasControl({ name, aliases, versions, onChanged }: { name: string; aliases: Record<string, number>; versions: ModelVersionView[]; onChanged: () => void }) {
  const [alias, setAlias] = useState('champion');
  const [version, setVersion] = useState<number | ''>(versions[0]?.version ?? '');
  const [error, setError] = useState<string | null>(null);
  const move = async (e: FormEvent) => {
    e.preventDefault();
    if (version === '') return;
    try {
      await client.setAlias(name, alias.trim(), version);
      setError(null);
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const remove = async (a: string) => {
    try {
      await client.deleteAlias(name, a);
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <Card>
      <CardTitle>Aliases</CardTitle>
      <p data-testid="alias-list">
        {Object.keys(aliases).length === 0
          ? 'No aliases yet.'
          : Object.entries(aliases)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([a, v]) => (
                <span key={a} style={{ marginRight: 12, whiteSpace: 'nowrap' }}>
                  <AliasBadge alias={a} version={v} />
                  <Button type="button" onClick={() => void remove(a)} aria-label={`Remove alias ${a}`} style={{ padding: '0 8px' }}>
                    ×
                  </Button>
                </span>
              ))}
      </p>
      <form onSubmit={(e) => void move(e)} data-testid="alias-form">
        <Row>
          <Field>
            Alias
            <input value={alias} onChange={(e) => setAlias(e.target.value)} list="alias-names" aria-label="Alias name" required />
            <datalist id="alias-names">
              {['champion', 'challenger', ...Object.keys(aliases)].map((a) => (
                <option key={a} value={a} />
              ))}
            </datalist>
          </Field>
          <Field>
            Version
            <select value={version} onChange={(e) => setVersion(Number(e.target.value))} aria-label="Alias version">
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
          </Field>
          <Button type="submit" disabled={version === '' || !alias.trim()}>
            {Object.hasOwn(aliases, alias.trim()) ? 'Move alias' : 'Set alias'}
          </Button>
        </Row>
      </form>
      {error && <InlineError role="alert">{error}</InlineError>}
    </Card>
  );
}

function VersionDiff({ diff }: { diff: ModelVersionDiff }) {
  const { a, b, compare } = diff;
  if (!compare) return <Empty>{diff.reason}</Empty>;
  const [ra, rb] = [a.runId!, b.runId!];
  const changed = compare.configDiff.filter((c) => c.status !== 'same');
  return (
    <>
      <TableScroll>
        <Table data-testid="version-diff">
          <thead>
            <tr>
              <th>Metric</th>
              <th>v{a.version}</th>
              <th>v{b.version}</th>
              <th>Difference (v{b.version} − v{a.version})</th>
              <th>Test</th>
            </tr>
          </thead>
          <tbody>
            {compare.metrics.map((m) => {
              const d = m.differences[0];
              const good = d?.diff != null && (LOWER_IS_BETTER.test(m.name) ? d.diff < 0 : d.diff > 0);
              return (
                <tr key={m.name}>
                  <td>{m.name}</td>
                  <td>{m.values[ra] ? <WithCi metric={m.values[ra]} /> : '—'}</td>
                  <td>{m.values[rb] ? <WithCi metric={m.values[rb]} /> : '—'}</td>
                  <td>{d?.diff == null ? '—' : d.significant ? <Significant $good={good}>{formatNumber(d.diff)}</Significant> : formatNumber(d.diff)}</td>
                  <td title={d?.reason}>
                    {d && d.pValue !== null ? (
                      <>
                        {d.method}, p = {formatNumber(d.pValue)}
                        {d.significant ? ' (significant)' : ''}
                      </>
                    ) : (
                      'not tested'
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      </TableScroll>
      <CardTitle style={{ marginTop: 16 }}>Config differences</CardTitle>
      {changed.length === 0 ? (
        <p>Same hyperparameters and config.</p>
      ) : (
        <TableScroll>
          <Table data-testid="config-diff">
            <thead>
              <tr>
                <th>Path</th>
                <th>v{a.version}</th>
                <th>v{b.version}</th>
              </tr>
            </thead>
            <tbody>
              {changed.map((c) => (
                <tr key={c.path}>
                  <td>
                    <Mono>{c.path}</Mono>
                  </td>
                  <td>
                    <Mono>{c.values[ra] === undefined ? '—' : previewJson(c.values[ra], 80)}</Mono>
                  </td>
                  <td>
                    <Mono>{c.values[rb] === undefined ? '—' : previewJson(c.values[rb], 80)}</Mono>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        </TableScroll>
      )}
    </>
  );
}

export default function ModelDetail() {
  const { name = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const a = Number(params.get('a')) || null;
  const b = Number(params.get('b')) || null;
  const model = useApi(() => client.getModel(name), [name]);
  const versions = useApi(async () => {
    const list = (await client.listModelVersions(name)).items;
    const runIds = [...new Set(list.map((v) => v.runId).filter((id): id is string => id !== null))];
    const infos = await Promise.all(
      runIds.map(async (id): Promise<[string, RunInfo]> => {
        const run = await client.getRun(id).catch(() => null);
        return [id, { run, evaluation: run ? await client.evaluation(id).catch(() => null) : null }];
      }),
    );
    return { list, runs: new Map(infos) };
  }, [name]);
  const diff = useApi(() => (a && b ? client.diffVersions(name, a, b) : Promise.resolve(null)), [name, a, b]);
  const [picked, setPicked] = useState<number[]>([]);
  const [stageError, setStageError] = useState<string | null>(null);
  const reload = () => {
    model.reload();
    versions.reload();
  };
  useLiveEvents(['registered_model.updated', 'registered_model.deleted', 'model_version.created', 'model_version.updated', 'model_version.deleted'], reload, 300, (e) => e.data.name === name || e.data.previousName === name);

  if (model.loading && !model.data) return <Loading what="model" />;
  if (model.error || !model.data) {
    return (
      <>
        <PageTitle>Model</PageTitle>
        {model.error && <ErrorState error={model.error} onRetry={model.reload} />}
        <Link to="/models">Back to models</Link>
      </>
    );
  }
  const m = model.data;
  const list = versions.data?.list ?? [];

  const setStage = async (version: number, stage: ModelStage) => {
    try {
      await client.updateVersion(name, version, { stage, archiveExisting: stage === 'Production' || stage === 'Staging' });
      setStageError(null);
      reload();
    } catch (e) {
      setStageError((e as Error).message);
    }
  };
  const toggle = (version: number) => setPicked((p) => (p.includes(version) ? p.filter((v) => v !== version) : [...p, version].slice(-2)));

  return (
    <>
      <PageTitle>
        {m.name} <Link to="/models" style={{ fontSize: '0.9rem', fontWeight: 400 }}>all models</Link>
      </PageTitle>
      <Card>
        <Facts>
          <dt>Description</dt>
          <dd>{m.description || '—'}</dd>
          <dt>Tags</dt>
          <dd>{Object.keys(m.tags).length ? Object.entries(m.tags).map(([k, v]) => <Mono key={k} style={{ marginRight: 8 }}>{`${k}=${v}`}</Mono>) : '—'}</dd>
          <dt>Versions</dt>
          <dd>{m.versionCount}</dd>
          <dt>Created</dt>
          <dd>
            {formatDate(m.createdAt)}
            {m.createdBy && <> by {m.createdBy}</>}
          </dd>
          <dt>Updated</dt>
          <dd>{formatDate(m.updatedAt)}</dd>
        </Facts>
      </Card>
      {list.length > 0 && <AliasControl key={list.length} name={name} aliases={m.aliases} versions={list} onChanged={reload} />}
      <Card>
        <CardTitle>Versions</CardTitle>
        {versions.error && <ErrorState error={versions.error} onRetry={versions.reload} />}
        {versions.loading && !versions.data && <Loading what="versions" />}
        {versions.data && list.length === 0 && <Empty>No versions yet. Register one from a run’s Models tab.</Empty>}
        {stageError && <InlineError role="alert">{stageError}</InlineError>}
        {list.length > 0 && (
          <>
            <TableScroll>
              <Table data-testid="versions-table">
                <thead>
                  <tr>
                    <th>Diff</th>
                    <th>Version</th>
                    <th>Aliases</th>
                    <th>Stage</th>
                    <th>Status</th>
                    <th>Source run</th>
                    <th>Metrics (95% CI)</th>
                    <th>Dataset</th>
                    <th>Registered</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((v) => {
                    const info = v.runId ? versions.data?.runs.get(v.runId) : undefined;
                    return (
                      <tr key={v.version} data-testid={`version-row-${v.version}`}>
                        <td>
                          <input type="checkbox" checked={picked.includes(v.version)} onChange={() => toggle(v.version)} aria-label={`Pick v${v.version} for the diff`} />
                        </td>
                        <td>v{v.version}</td>
                        <td>{v.aliases.length ? v.aliases.map((alias) => <AliasBadge key={alias} alias={alias} />) : '—'}</td>
                        <td>
                          <StageBadge stage={v.stage} />{' '}
                          <select value={v.stage} onChange={(e) => void setStage(v.version, e.target.value as ModelStage)} aria-label={`Stage of v${v.version}`}>
                            {MODEL_STAGES.map((s) => (
                              <option key={s}>{s}</option>
                            ))}
                          </select>
                        </td>
                        <td>{v.status}</td>
                        <td>
                          {info?.run ? (
                            <>
                              <Link to={`/runs/${info.run.id}`}>{info.run.name}</Link> <StatusBadge status={info.run.status} />
                            </>
                          ) : (
                            <Mono title={v.source}>{v.source.length > 40 ? `${v.source.slice(0, 40)}…` : v.source}</Mono>
                          )}
                        </td>
                        <td>
                          <HeadlineMetrics info={info} />
                        </td>
                        <td>{info?.run?.datasetId ? <Link to={`/datasets/${info.run.datasetId}`}>{info.run.datasetId.slice(0, 8)}</Link> : '—'}</td>
                        <td>
                          {formatDate(v.createdAt)}
                          {v.userId && <small> by {v.userId}</small>}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </Table>
            </TableScroll>
            <Row style={{ marginTop: 12 }}>
              <Button type="button" disabled={picked.length !== 2} onClick={() => setParams({ a: String(Math.min(...picked)), b: String(Math.max(...picked)) })}>
                {picked.length === 2 ? `Diff v${Math.min(...picked)} and v${Math.max(...picked)}` : 'Pick two versions to diff'}
              </Button>
            </Row>
          </>
        )}
      </Card>
      {a && b && (
        <Card>
          <CardTitle>
            Diff: v{a} → v{b}
          </CardTitle>
          {diff.error && <ErrorState error={diff.error} onRetry={diff.reload} />}
          {diff.loading && !diff.data && <Loading what="diff" />}
          {diff.data && <VersionDiff diff={diff.data} />}
        </Card>
      )}
    </>
  );
}
