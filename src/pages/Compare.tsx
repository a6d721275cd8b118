/**
 * Compare 2–10 runs against the first (the baseline). The selection lives in the URL
 * (/modellab/compare?runs=a,b) so a comparison can be shared and reloaded. Or two groups of runs —
 * two configurations, each run with several seeds (/compare?groupA=…&groupB=…, from the Runs page's
 * Group panel): their metrics' means compared across the seeds.
 */
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import styled from 'styled-components';
import { MetricRadar, ParallelCoordinates, SliceBars } from '../components/charts/CompareCharts';
import { CurveControls, CurvesChart, DEFAULT_CURVE_OPTIONS } from '../components/charts/CurvesChart';
import { CompareCurves } from '../components/evaluation/CompareCurves';
import { CompareTableHead } from '../components/CompareTableHead';
import { GroupComparisonCard } from '../components/runs/GroupComparison';
import { LatencyComparison } from '../components/latency/LatencyComparison';
import { Card, CardTitle, Empty, ErrorState, formatNumber, Loading, Mono, PageTitle, Table, TableScroll } from '../components/ui';
import { useApi } from '../hooks/useApi';
import { client } from '../apiClient';
import type { CompareDifference, CompareResponse } from '../shared/contract/types';
import { previewJson } from '../shared/jsonDepth';

const MAX_RUNS = 10;
const LOWER_IS_BETTER = /(loss|error|mae|mse|rmse|mape|brier|latency)/i;

const Picker = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(2)};
  input[type='search'] {
    flex: 1 1 100%;
    font: inherit;
    padding: ${({ theme }) => theme.space(2)};
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
  }
  label {
    display: flex;
    gap: ${({ theme }) => theme.space(1)};
    align-items: center;
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
    padding: ${({ theme }) => `${theme.space(1)} ${theme.space(2)}`};
    max-width: 100%;
    overflow-wrap: anywhere;
  }
`;

const Diff = styled.span<{ $tone: 'better' | 'worse' | 'neutral'; $significant: boolean }>`
  color: ${({ theme, $tone }) => ($tone === 'better' ? theme.colors.good : $tone === 'worse' ? theme.colors.bad : 'inherit')};
  font-weight: ${({ $significant }) => ($significant ? 700 : 400)};
  white-space: nowrap;
`;

const Row = styled.tr<{ $status?: string }>`
  background: ${({ theme, $status }) => ($status === 'same' || !$status ? 'transparent' : $status === 'added' ? theme.colors.addedBg : $status === 'removed' ? theme.colors.removedBg : theme.colors.changedBg)};
`;

const MutedMono = styled(Mono)`
  color: ${({ theme }) => theme.colors.muted};
`;

/** A p-value as text; a bootstrap's 0 (no resampled difference on the other side of 0) is below what it can resolve, not 0. */
const pText = (p: number | null, method: CompareDifference['method']) => (p === 0 && method.endsWith('bootstrap') ? 'p below the bootstrap’s resolution (no resample crossed 0)' : `p = ${formatNumber(p)}`);

function DifferenceCell({ d, metric }: { d: CompareDifference | undefined; metric: string }) {
  if (!d || d.diff === null) return <span title={d?.reason}>—</span>;
  const better = LOWER_IS_BETTER.test(metric) ? d.diff < 0 : d.diff > 0;
  const tone = d.diff === 0 ? 'neutral' : better ? 'better' : 'worse';
  const title =
    d.significant === null
      ? (d.reason ?? 'not tested')
      : `${d.method}: ${pText(d.pValue, d.method)}, Holm-adjusted ${pText(d.adjustedPValue, d.method)}${d.ci ? `; 95% CI of the difference [${formatNumber(d.ci.lower)}, ${formatNumber(d.ci.upper)}]` : ''}`;
  return (
    <Diff $tone={tone} $significant={d.significant === true} title={title} data-significant={d.significant === true}>
      {d.diff > 0 ? '+' : ''}
      {formatNumber(d.diff)}
      {d.significant === true && ' *'}
    </Diff>
  );
}

/** One Δ cell per non-baseline run. */
function DifferenceCells({ runs, differences, metric }: { runs: CompareResponse['runs']; differences: CompareDifference[]; metric: string }) {
  return (
    <>
      {runs.map((r) => (
        <td key={`d${r.id}`}>
          <DifferenceCell d={differences.find((d) => d.runId === r.id)} metric={metric} />
        </td>
      ))}
    </>
  );
}

function Results({ data }: { data: CompareResponse }) {
  const [hideUnchanged, setHideUnchanged] = useState(true);
  const [pcMetric, setPcMetric] = useState<string | null>(null);
  const [curveOptions, setCurveOptions] = useState(DEFAULT_CURVE_OPTIONS);
  const runs = data.runs;
  const others = runs.slice(1);
  const evaluated = data.metrics.filter((m) => m.source === 'evaluation');
  // Radar: headline metrics in [0, 1] (bounded ones as they are, others min–max scaled across the runs, lower-is-better flipped).
  const radarMetrics = (evaluated.length ? evaluated : data.metrics).slice(0, 8);
  const radarRows = radarMetrics.map((m) => {
    const values = runs.map((r) => m.values[r.id]?.value ?? null);
    const finite = values.filter((v): v is number => v !== null);
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    const bounded = lo >= 0 && hi <= 1 && !LOWER_IS_BETTER.test(m.name);
    const row: Record<string, number | string> = { metric: m.name };
    runs.forEach((r, i) => {
      const v = values[i];
      if (v === null || v === undefined) return;
      let x = bounded ? v : hi === lo ? 1 : (v - lo) / (hi - lo);
      if (!bounded && LOWER_IS_BETTER.test(m.name)) x = 1 - x;
      row[r.id] = x;
    });
    return row;
  });
  const config = data.configDiff.filter((c) => !hideUnchanged || c.status !== 'same');
  const numericParams = data.configDiff.filter((c) => c.path.startsWith('params.') && runs.every((r) => typeof c.values[r.id] === 'number') && c.status !== 'same');
  const chosen = pcMetric ?? data.metrics[0]?.name ?? null;
  const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : previewJson(v));

  return (
    <>
      <Card>
        <CardTitle>
          Metrics against the baseline <em>{runs[0]!.name}</em>
        </CardTitle>
        <p>
          Differences are run − baseline, green when better. <strong>*</strong> marks a difference significant at α = {data.alpha} after Holm–Bonferroni across the metrics of each comparison;
          hover for the p-value and the test (paired bootstrap, or McNemar's exact test for accuracy, when both runs were evaluated on the same examples; unpaired bootstrap otherwise).
        </p>
        {data.metrics.length === 0 ? (
          <Empty>None of these runs has an evaluation or logged metrics yet.</Empty>
        ) : (
          <TableScroll>
            <Table data-testid="compare-metrics">
              <CompareTableHead label="Metric" runs={runs} />
              <tbody>
                {data.metrics.map((m) => (
                  <tr key={m.name}>
                    <td>
                      {m.name}
                      {m.source === 'logged' && <em title="a logged summary: no CI, not tested"> (logged)</em>}
                    </td>
                    {runs.map((r) => {
                      const v = m.values[r.id];
                      return (
                        <td key={r.id}>
                          <Mono>{formatNumber(v?.value)}</Mono>
                          {v?.ci && v.ci.lower !== null && (
                            <MutedMono>
                              {' '}
                              [{formatNumber(v.ci.lower)}, {formatNumber(v.ci.upper)}]
                            </MutedMono>
                          )}
                        </td>
                      );
                    })}
                    <DifferenceCells runs={others} differences={m.differences} metric={m.name} />
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        )}
      </Card>

      {radarRows.length >= 3 && (
        <Card data-testid="compare-radar">
          <CardTitle>Headline metrics (normalised to [0, 1]; outward is better)</CardTitle>
          <MetricRadar rows={radarRows} runs={runs} />
        </Card>
      )}

      <Card>
        <CardTitle>Configuration</CardTitle>
        <label>
          <input type="checkbox" checked={hideUnchanged} onChange={(e) => setHideUnchanged(e.target.checked)} /> Hide unchanged
        </label>
        {config.length === 0 ? (
          <Empty>{hideUnchanged ? 'All hyperparameters and config values are the same.' : 'No hyperparameters or config.'}</Empty>
        ) : (
          <TableScroll>
            <Table data-testid="config-diff">
              <thead>
                <tr>
                  <th>Path</th>
                  <th>Status</th>
                  {runs.map((r) => (
                    <th key={r.id}>{r.name}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {config.map((c) => (
                  <Row key={c.path} $status={c.status}>
                    <td>
                      <Mono>{c.path}</Mono>
                    </td>
                    <td>{c.status}</td>
                    {runs.map((r) => (
                      <td key={r.id}>
                        <Mono>{show(c.values[r.id])}</Mono>
                      </td>
                    ))}
                  </Row>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        )}
      </Card>

      {data.slices.length > 0 && (
        <Card>
          <CardTitle>Slices ({data.slices[0]!.metric})</CardTitle>
          <div data-testid="compare-slice-chart" style={{ minWidth: 0 }}>
            <SliceBars runs={runs} rows={data.slices.map((s) => ({ slice: `${s.attribute}=${s.value}`, ...Object.fromEntries(runs.map((r) => [r.id, s.values[r.id]?.value ?? null])) }))} />
          </div>
          <TableScroll>
            <Table data-testid="compare-slices">
              <CompareTableHead label="Slice" runs={runs} />
              <tbody>
                {data.slices.map((s) => (
                  <tr key={`${s.attribute}=${s.value}`}>
                    <td>
                      {s.attribute} = {s.value}
                    </td>
                    {runs.map((r) => (
                      <td key={r.id}>
                        <Mono>{formatNumber(s.values[r.id]?.value)}</Mono> <small>(n={s.values[r.id]?.count ?? 0})</small>
                      </td>
                    ))}
                    <DifferenceCells runs={others} differences={s.differences} metric={s.metric} />
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        </Card>
      )}

      <LatencyComparison runs={runs} />

      <CompareCurves runs={runs} />

      {data.series.length > 0 && (
        <Card>
          <CardTitle>Metric curves</CardTitle>
          <CurveControls options={curveOptions} onChange={setCurveOptions} />
          {data.series.map((s) => (
            <figure key={s.key} style={{ margin: 0, minWidth: 0 }} data-testid={`compare-curve-${s.key}`}>
              <figcaption>
                <strong>{s.key}</strong>
              </figcaption>
              <CurvesChart series={runs.map((r) => ({ id: r.id, name: r.name, points: s.runs[r.id] ?? [] }))} options={curveOptions} />
            </figure>
          ))}
        </Card>
      )}

      {runs.length >= 3 && numericParams.length > 0 && chosen && (
        <Card>
          <CardTitle>Hyperparameters → metric (parallel coordinates)</CardTitle>
          <label>
            Metric{' '}
            <select value={chosen} onChange={(e) => setPcMetric(e.target.value)}>
              {data.metrics.map((m) => (
                <option key={m.name}>{m.name}</option>
              ))}
            </select>
          </label>
          <ParallelCoordinates
            runs={runs}
            axes={[
              ...numericParams.map((c) => ({ name: c.path.replace(/^params\./, ''), values: Object.fromEntries(runs.map((r) => [r.id, c.values[r.id] as number])) })),
              { name: chosen, values: Object.fromEntries(runs.map((r) => [r.id, data.metrics.find((m) => m.name === chosen)?.values[r.id]?.value ?? null])) },
            ]}
          />
        </Card>
      )}
    </>
  );
}

export default function Compare() {
  const [params, setParams] = useSearchParams();
  const selected = (params.get('runs') ?? '').split(',').filter(Boolean).slice(0, MAX_RUNS);
  const groupA = (params.get('groupA') ?? '').split(',').filter(Boolean);
  const groupB = (params.get('groupB') ?? '').split(',').filter(Boolean);
  const [search, setSearch] = useState('');
  const candidates = useApi(
    // Characters that mean something in a filter or a LIKE pattern are dropped from the search text.
    () => client.searchRuns({ limit: 100, ...(search.trim() && { filter: `name ILIKE '%${search.trim().replace(/['"\\%_]/g, '')}%'` }) }),
    [search],
  );
  const comparison = useApi(() => (selected.length >= 2 ? client.compare(selected) : Promise.resolve(null)), [selected.join(',')]);

  const toggle = (id: string) => {
    const next = selected.includes(id) ? selected.filter((s) => s !== id) : [...selected, id].slice(0, MAX_RUNS);
    setParams(next.length ? { runs: next.join(',') } : {});
  };

  if (groupA.length > 0 && groupB.length > 0) {
    const labels: [string, string] = [params.get('labelA') ?? 'group A', params.get('labelB') ?? 'group B'];
    return (
      <>
        <PageTitle>Compare configurations</PageTitle>
        <Card>
          <CardTitle>Two configurations across their seeds</CardTitle>
          <GroupComparisonCard a={groupA} b={groupB} labels={labels} />
          <p>
            <Link to={`/compare?runs=${[...groupA.slice(0, 1), ...groupB.slice(0, 1)].join(',')}`}>Compare a run of each</Link> · <Link to="/compare">Pick runs instead</Link>
          </p>
        </Card>
      </>
    );
  }

  return (
    <>
      <PageTitle>Compare runs</PageTitle>
      <Card>
        <CardTitle>Pick 2–{MAX_RUNS} runs (the first picked is the baseline)</CardTitle>
        <Picker>
          <input type="search" placeholder="Search runs by name" aria-label="Search runs" value={search} onChange={(e) => setSearch(e.target.value)} />
          {candidates.error && <ErrorState error={candidates.error} onRetry={candidates.reload} />}
          {candidates.data?.items.length === 0 && <Empty>No runs found.</Empty>}
          {candidates.data?.items.map((run) => (
            <label key={run.id}>
              <input type="checkbox" checked={selected.includes(run.id)} onChange={() => toggle(run.id)} />
              {run.name}
              {selected[0] === run.id && <em> (baseline)</em>}
            </label>
          ))}
        </Picker>
      </Card>
      {selected.length < 2 && <Empty>Pick at least two runs. Open a run from the Runs page to see its id; the URL of this page holds the selection.</Empty>}
      {selected.length >= 2 && comparison.loading && !comparison.data && <Loading what="comparison" />}
      {comparison.error && (
        <>
          <ErrorState error={comparison.error} onRetry={comparison.reload} />
          <Link to="/compare">Start over</Link>
        </>
      )}
      {comparison.data && <Results data={comparison.data} />}
    </>
  );
}
