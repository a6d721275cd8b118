/**
 * What matters in a sweep (issue 19), for the runs the table's search matches: each parameter's
 * Spearman ρ with a metric and its importance in a random forest (computed by the server), and a
 * scatter of a parameter against the metric, coloured by a third.
 */
import { useEffect, useRef, useState } from 'react';
import styled, { useTheme } from 'styled-components';
import { client } from '../../apiClient';
import { useApi } from '../../hooks/useApi';
import { RUN_COLOURS } from '../charts/CompareCharts';
import { CanvasScatter } from '../charts/CanvasScatter';
import { Empty, ErrorState, formatNumber, Loading, Mono, Table, TableScroll } from '../ui';
import { ExperimentPicker } from './RunsTable.styles';
import { ParallelBrush } from './ParallelBrush';

interface Props {
  /** The parallel coordinates' brushes, as a filter condition (the URL's `brush`). */
  brush: string;
  onBrush: (condition: string) => void;
  metrics: string[];
  filter: string;
  status: string | undefined;
  experimentId: string | undefined;
}

const Bar = styled.div<{ $share: number }>`
  height: 10px;
  width: ${({ $share }) => Math.round($share * 160)}px;
  background: ${({ theme }) => theme.colors.primary};
  border-radius: 3px;
`;

const Row = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(3)};
  align-items: center;
  margin-bottom: ${({ theme }) => theme.space(2)};
`;

const asNumber = (text: string | undefined) => (text === undefined || text === '' || Number.isNaN(Number(text)) ? null : Number(text));

function ParamScatter({ param, metric, colourBy, query }: { param: string; metric: string; colourBy: string; query: { filter: string; status: string | undefined; experimentId: string | undefined } }) {
  const theme = useTheme();
  const [rows, setRows] = useState<string[][] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    let current = true;
    setRows(null);
    const columns = ['name', `params.${param}`, `metrics.${metric}`, ...(colourBy ? [`params.${colourBy}`] : [])].join(',');
    client.runsColumns({ ...query, columns }).then(
      (r) => current && setRows(r),
      (e: Error) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [param, metric, colourBy, query.filter, query.status, query.experimentId]); // eslint-disable-line react-hooks/exhaustive-deps
  if (error) return <ErrorState error={error} />;
  if (!rows) return <Loading what="the runs' values" />;
  const points = rows.map((r) => ({ name: r[0]!, x: asNumber(r[1]), y: asNumber(r[2]), c: r[3] ?? '' })).filter((p) => p.x !== null && p.y !== null);
  if (points.length === 0) return <Empty>No run has both a numeric {param} and {metric}.</Empty>;
  const categories = [...new Set(points.map((p) => p.c))];
  const numericColour = categories.every((c) => asNumber(c) !== null) && categories.length > 8;
  const range = numericColour ? [Math.min(...points.map((p) => Number(p.c))), Math.max(...points.map((p) => Number(p.c)))] : [0, 0];
  const colourOf = (c: string) =>
    numericColour ? `hsl(${240 - 200 * ((Number(c) - range[0]!) / (range[1]! - range[0]! || 1))}, 70%, 50%)` : colourBy ? RUN_COLOURS[categories.indexOf(c) % RUN_COLOURS.length]! : theme.colors.primary;
  return (
    <div data-testid="sweep-scatter">
      <CanvasScatter points={points.map((p) => ({ name: p.name, x: p.x!, y: p.y!, colour: colourOf(p.c) }))} xLabel={param} yLabel={metric} />
      {colourBy && !numericColour && (
        <Row>
          {categories.map((c) => (
            <span key={c} style={{ color: colourOf(c), fontSize: '0.85rem' }}>
              ● {colourBy} = {c || '(none)'}
            </span>
          ))}
        </Row>
      )}
      {numericColour && (
        <small>
          colour: {colourBy} from {formatNumber(range[0])} (blue) to {formatNumber(range[1])} (red)
        </small>
      )}
    </div>
  );
}

export function SweepPanel({ metrics: loaded, filter, status, experimentId, brush, onBrush }: Props) {
  // The table's metric names, kept while its pages reload (a brush narrows them): the panel stays put.
  const lastKnown = useRef<string[]>([]);
  if (loaded.length > 0) lastKnown.current = loaded;
  const metrics = lastKnown.current;
  const [picked, setMetric] = useState<string | null>(null);
  const metric = picked ?? metrics[0] ?? ''; // the table's metrics may arrive after the panel opens
  const [param, setParam] = useState<string | null>(null);
  const [colourBy, setColourBy] = useState('');
  const importance = useApi(() => (metric ? client.importance({ metric, filter, status, experimentId }) : Promise.resolve(null)), [metric, filter, status, experimentId]);
  if (metrics.length === 0) return <Empty>No metrics logged on these runs yet.</Empty>;
  const items = importance.data?.items ?? [];
  const shown = param ?? items[0]?.param ?? null;
  return (
    <div data-testid="sweep-panel">
      <Row>
        <ExperimentPicker>
          Metric
          <select aria-label="Importance metric" value={metric} onChange={(e) => setMetric(e.target.value)}>
            {metrics.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </ExperimentPicker>
        {importance.data && (
          <small>
            over {importance.data.n.toLocaleString('en-US')} run(s) with {metric}
            {importance.data.truncated ? ' (the first 10,000 matching)' : ''}; model: {importance.data.model}
          </small>
        )}
      </Row>
      {importance.error && <ErrorState error={importance.error} onRetry={importance.reload} />}
      {!importance.data && !importance.error && <Loading what="parameter importance" />}
      {importance.data && items.length === 0 && <Empty>No parameter varies across these runs.</Empty>}
      {items.length > 0 && (
        <TableScroll>
          <Table data-testid="importance-table">
            <thead>
              <tr>
                <th>Parameter</th>
                <th>Importance</th>
                <th />
                <th>Spearman ρ</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.param} aria-selected={i.param === shown} onClick={() => setParam(i.param)} style={{ cursor: 'pointer' }}>
                  <td>
                    <Mono>{i.param}</Mono>
                  </td>
                  <td>
                    <Mono>{i.importance.toFixed(3)}</Mono>
                  </td>
                  <td>
                    <Bar $share={i.importance} />
                  </td>
                  <td>
                    <Mono>{i.spearman === null ? '—' : i.spearman.toFixed(3)}</Mono>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        </TableScroll>
      )}
      {items.length > 0 && (
        <>
          <Row>
            <strong>Parallel coordinates</strong> <small>(the {Math.min(5, items.length)} most important parameters and {metric})</small>
          </Row>
          <ParallelBrush params={items.slice(0, 5).map((i) => i.param)} metric={metric} query={{ filter, status, experimentId }} brush={brush} onBrush={onBrush} />
        </>
      )}
      {shown && (
        <>
          <Row>
            <strong>
              {shown} → {metric}
            </strong>
            <ExperimentPicker>
              Colour by
              <select aria-label="Colour by" value={colourBy} onChange={(e) => setColourBy(e.target.value)}>
                <option value="">nothing</option>
                {items
                  .filter((i) => i.param !== shown)
                  .map((i) => (
                    <option key={i.param}>{i.param}</option>
                  ))}
              </select>
            </ExperimentPicker>
          </Row>
          <ParamScatter param={shown} metric={metric} colourBy={colourBy} query={{ filter, status, experimentId }} />
        </>
      )}
    </div>
  );
}
