/** The run page's Evaluation tab: metrics with CI bars, confusion heatmap, per class, slices, failures, report, Evaluate form. */
import { DatasetEvaluateForm } from './DatasetEvaluateForm';
import { EvaluationCurves } from './EvaluationCurves';
import { useState } from 'react';
import styled, { useTheme } from 'styled-components';
import { useApi } from '../../hooks/useApi';
import { client } from '../../apiClient';
import type { MetricWithCi } from '../../shared/contract/types';
import { Card, CardTitle, Empty, ErrorState, formatNumber, InlineError, Loading, Mono, Table, TableScroll } from '../ui';
import { previewJson } from '../../shared/jsonDepth';

const BOUNDED = /^(accuracy|balanced_accuracy|precision|recall|f1|roc_auc|average_precision|brier)/;

/** A value with its interval drawn on a small scale ([0, 1] for bounded metrics, else [min, max] of the row set). */
function CiBar({ metric, scale }: { metric: MetricWithCi; scale: [number, number] }) {
  const theme = useTheme();
  if (metric.value === null) return <span>—</span>;
  const [lo, hi] = scale;
  const x = (v: number) => 4 + ((v - lo) / (hi - lo || 1)) * 152;
  return (
    <svg width={160} height={14} role="img" aria-label={`${metric.value} between ${metric.ci.lower} and ${metric.ci.upper}`}>
      <line x1={4} x2={156} y1={7} y2={7} stroke={theme.colors.border} />
      {metric.ci.lower !== null && metric.ci.upper !== null && (
        <rect x={x(metric.ci.lower)} y={3} width={Math.max(1, x(metric.ci.upper) - x(metric.ci.lower))} height={8} fill={theme.colors.primary} opacity={0.25} />
      )}
      <circle cx={x(metric.value)} cy={7} r={3.5} fill={theme.colors.primary} />
    </svg>
  );
}

const scaleFor = (key: string, metrics: MetricWithCi[]): [number, number] => {
  if (BOUNDED.test(key)) return [0, 1];
  if (key === 'mcc' || key === 'cohen_kappa' || key === 'r2' || key === 'explained_variance') return [-1, 1];
  const values = metrics.flatMap((m) => [m.value, m.ci.lower, m.ci.upper]).filter((v): v is number => v !== null);
  return [Math.min(0, ...values), Math.max(...values, 1e-12)];
};

const Heat = styled.td<{ $alpha: number }>`
  background: rgba(79, 70, 229, ${({ $alpha }) => $alpha});
  color: ${({ $alpha }) => ($alpha > 0.55 ? '#fff' : 'inherit')};
  text-align: center !important;
`;

const Flagged = styled.tr<{ $worse: boolean }>`
  background: ${({ theme, $worse }) => ($worse ? theme.colors.removedBg : 'transparent')};
`;

function EvaluateForm({ runId, onDone }: { runId: string; onDone: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const body: unknown = JSON.parse(await file.text());
      await client.evaluate(runId, body);
      onDone();
    } catch (e) {
      const err = e as Error & { details?: { index?: number } };
      setError(`${err.message}${err.details?.index !== undefined ? ` (index ${err.details.index})` : ''}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card>
      <CardTitle>Evaluate</CardTitle>
      <p>
        Choose a JSON file with <Mono>{'{predictions, labels, data?, config}'}</Mono> (the body of <Mono>POST /api/modellab/runs/:id/evaluate</Mono>).
      </p>
      <input type="file" accept=".json,application/json" aria-label="Evaluation request file" disabled={busy} onChange={(e) => void submit(e.target.files?.[0])} />
      {busy && <Loading what="evaluation" />}
      {error && <InlineError role="alert">{error}</InlineError>}
    </Card>
  );
}

export function EvaluationPanel({ runId }: { runId: string }) {
  const docs = useApi(() => client.evaluation(runId), [runId]);
  if (docs.loading && !docs.data) return <Loading what="evaluation" />;
  if (docs.error) return <ErrorState error={docs.error} onRetry={docs.reload} />;
  const evaluation = docs.data;
  if (!evaluation) {
    return (
      <>
        <Card>
          <Empty>Not evaluated yet.</Empty>
        </Card>
        <DatasetEvaluateForm runId={runId} onDone={docs.reload} />
        <EvaluateForm runId={runId} onDone={docs.reload} />
      </>
    );
  }
  const { metrics, slices, failureExamples, curves } = evaluation;
  const entries = Object.entries(metrics.metrics);
  const cm = metrics.confusionMatrix;
  const cmMax = cm ? Math.max(1, ...cm.matrix.flat()) : 1;
  const headline = slices.slices[0] ? Object.keys(slices.slices[0].metrics) : [];
  const failureColumns = failureExamples.examples[0] ? Object.keys(failureExamples.examples[0]).filter((k) => k !== 'data') : [];
  return (
    <>
      <Card>
        <CardTitle>
          Metrics (n = {metrics.n.toLocaleString('en-US')}, {Math.round(metrics.bootstrap.level * 100)}% {metrics.bootstrap.method} bootstrap CI, {metrics.bootstrap.resamples} resamples)
        </CardTitle>
        <p>
          Report: <a href={client.reportUrl(runId, 'html')}>HTML</a> · <a href={client.reportUrl(runId, 'md')}>Markdown</a>
        </p>
        <TableScroll>
          <Table data-testid="evaluation-metrics">
            <thead>
              <tr>
                <th>Metric</th>
                <th>Value</th>
                <th>CI</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {entries.map(([key, m]) => (
                <tr key={key}>
                  <td>{key}</td>
                  <td>
                    <Mono>{formatNumber(m.value)}</Mono>
                  </td>
                  <td>
                    <Mono>{m.ci.lower === null ? '—' : `[${formatNumber(m.ci.lower)}, ${formatNumber(m.ci.upper)}]`}</Mono>
                  </td>
                  <td>
                    <CiBar metric={m} scale={scaleFor(key, [m])} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        </TableScroll>
      </Card>
      <EvaluationCurves curves={curves} />
      {cm && (
        <Card>
          <CardTitle>Confusion matrix (rows: true, columns: predicted)</CardTitle>
          <TableScroll>
            <Table data-testid="confusion-matrix">
              <thead>
                <tr>
                  <th />
                  {cm.labels.map((l) => (
                    <th key={String(l)}>{String(l)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {cm.matrix.map((row, i) => (
                  <tr key={String(cm.labels[i])}>
                    <th>{String(cm.labels[i])}</th>
                    {row.map((v, j) => (
                      <Heat key={j} $alpha={Math.round((v / cmMax) * 85) / 100}>
                        {v}
                      </Heat>
                    ))}
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        </Card>
      )}
      {metrics.perClass && (
        <Card>
          <CardTitle>Per class</CardTitle>
          <TableScroll>
            <Table>
              <thead>
                <tr>
                  <th>Class</th>
                  <th>Precision</th>
                  <th>Recall</th>
                  <th>F1</th>
                  <th>Support</th>
                </tr>
              </thead>
              <tbody>
                {metrics.perClass.map((c) => (
                  <tr key={String(c.class)}>
                    <td>{String(c.class)}</td>
                    <td>{formatNumber(c.precision)}</td>
                    <td>{formatNumber(c.recall)}</td>
                    <td>{formatNumber(c.f1)}</td>
                    <td>{c.support}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        </Card>
      )}
      {slices.slices.length > 0 && (
        <Card>
          <CardTitle>Slices (red: significantly worse than overall)</CardTitle>
          <TableScroll>
            <Table data-testid="evaluation-slices">
              <thead>
                <tr>
                  <th>Slice</th>
                  <th>Count</th>
                  {headline.map((k) => (
                    <th key={k}>{k}</th>
                  ))}
                  <th>Δ {headline[0]}</th>
                </tr>
              </thead>
              <tbody>
                {slices.slices.map((s) => (
                  <Flagged key={`${s.attribute}=${s.value}`} $worse={s.significantlyWorse} data-worse={s.significantlyWorse}>
                    <td>
                      {s.attribute} = {s.value}
                      {s.small && ' (small)'}
                    </td>
                    <td>{s.count}</td>
                    {headline.map((k) => (
                      <td key={k}>
                        <Mono>{formatNumber(s.metrics[k]?.value)}</Mono> <CiBar metric={s.metrics[k]!} scale={scaleFor(k, slices.slices.map((x) => x.metrics[k]!))} />
                      </td>
                    ))}
                    <td>
                      <Mono>{formatNumber(s.deltaFromOverall[headline[0]!]?.diff)}</Mono>
                    </td>
                  </Flagged>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        </Card>
      )}
      <Card>
        <CardTitle>
          Failure examples ({failureExamples.examples.length} of {failureExamples.total})
        </CardTitle>
        {failureExamples.examples.length === 0 ? (
          <Empty>No failures.</Empty>
        ) : (
          <TableScroll>
            <Table data-testid="evaluation-failures">
              <thead>
                <tr>
                  {failureColumns.map((c) => (
                    <th key={c}>{c}</th>
                  ))}
                  <th>data</th>
                </tr>
              </thead>
              <tbody>
                {failureExamples.examples.slice(0, 100).map((e, i) => (
                  <tr key={i}>
                    {failureColumns.map((c) => (
                      <td key={c}>{typeof e[c] === 'number' ? formatNumber(e[c]) : String(e[c] ?? '—')}</td>
                    ))}
                    <td>
                      <Mono>{e.data ? previewJson(e.data, 8, 500) : ''}</Mono>
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        )}
      </Card>
      <DatasetEvaluateForm runId={runId} onDone={docs.reload} />
      <EvaluateForm runId={runId} onDone={docs.reload} />
    </>
  );
}
