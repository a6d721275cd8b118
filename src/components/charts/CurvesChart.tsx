/**
 * Metric curves people can read (issue 19): one or several runs' curves of a metric, smoothed with
 * a bias-corrected EMA (the raw curve drawn faint beneath), on a linear or log y axis, against the
 * step, the time since each run's first point or the wall clock; drag across the plot to zoom in,
 * and the tooltip lists every run's value nearest the cursor. The points come downsampled by the
 * server; this only draws them.
 */
import { useMemo, useState } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis as RXAxis, YAxis } from 'recharts';
import styled, { useTheme } from 'styled-components';
import { type CurvePoint, ema, nearestIndex, X_AXES, type XAxis, xValues } from '../../shared/charts/curves';
import { Button, formatNumber } from '../ui';
import { RUN_COLOURS } from './CompareCharts';

export interface CurveOptions {
  /** EMA weight in [0, 0.99]; 0 draws the raw curve alone. */
  smoothing: number;
  logY: boolean;
  x: XAxis;
}
export const DEFAULT_CURVE_OPTIONS: CurveOptions = { smoothing: 0, logY: false, x: 'step' };

const X_LABEL: Record<XAxis, string> = { step: 'step', relative: 'relative time (s)', wall: 'wall time' };

const Controls = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(3)};
  align-items: center;
  font-size: 0.85rem;
  color: ${({ theme }) => theme.colors.muted};
  margin-bottom: ${({ theme }) => theme.space(2)};
  label {
    display: flex;
    align-items: center;
    gap: ${({ theme }) => theme.space(1)};
  }
`;

/** The controls every chart of a page shares. */
export function CurveControls({ options, onChange }: { options: CurveOptions; onChange: (next: CurveOptions) => void }) {
  return (
    <Controls role="group" aria-label="Chart options">
      <label>
        Smoothing
        <input type="range" min={0} max={0.99} step={0.01} value={options.smoothing} aria-label="Smoothing" onChange={(e) => onChange({ ...options, smoothing: Number(e.target.value) })} />
        <output>{options.smoothing.toFixed(2)}</output>
      </label>
      <label>
        <input type="checkbox" checked={options.logY} onChange={(e) => onChange({ ...options, logY: e.target.checked })} /> Log scale
      </label>
      <label>
        X axis
        <select aria-label="X axis" value={options.x} onChange={(e) => onChange({ ...options, x: e.target.value as XAxis })}>
          {X_AXES.map((x) => (
            <option key={x} value={x}>
              {X_LABEL[x]}
            </option>
          ))}
        </select>
      </label>
    </Controls>
  );
}

export interface CurveSeries {
  id: string;
  name: string;
  points: CurvePoint[];
}

interface Prepared {
  id: string;
  name: string;
  colour: string;
  xs: number[];
  raw: number[];
  smooth: number[];
}

const formatX = (axis: XAxis) => (v: number) => (axis === 'wall' ? new Date(v).toLocaleTimeString() : axis === 'relative' ? `${Number(v.toPrecision(4))}s` : String(v));

export function CurvesChart({ series, options, height = 220, colours = RUN_COLOURS }: { series: CurveSeries[]; options: CurveOptions; height?: number; colours?: readonly string[] }) {
  const theme = useTheme();
  const [zoom, setZoom] = useState<[number, number] | null>(null);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const single = series.length === 1;

  const prepared: Prepared[] = useMemo(
    () =>
      series.map((s, i) => {
        const points = [...s.points].sort((a, b) => a.step - b.step);
        const xs = xValues(points, options.x);
        const order = xs.map((_, j) => j).sort((a, b) => xs[a]! - xs[b]!);
        const raw = order.map((j) => points[j]!.value);
        return { id: s.id, name: s.name, colour: single ? theme.colors.primary : colours[i % colours.length]!, xs: order.map((j) => xs[j]!), raw, smooth: ema(raw, options.smoothing) };
      }),
    [series, options.x, options.smoothing, single, theme.colors.primary, colours],
  );

  // One row per x value; each run's raw and smoothed value where it has a point (log scale: positive only).
  const rows = useMemo(() => {
    const byX = new Map<number, Record<string, number>>();
    const shown = (v: number) => Number.isFinite(v) && (!options.logY || v > 0);
    for (const p of prepared) {
      p.xs.forEach((x, j) => {
        const row = byX.get(x) ?? { x };
        if (shown(p.raw[j]!)) row[`${p.id}:raw`] = p.raw[j]!;
        if (shown(p.smooth[j]!)) row[p.id] = p.smooth[j]!;
        byX.set(x, row);
      });
    }
    return [...byX.values()].sort((a, b) => a.x! - b.x!);
  }, [prepared, options.logY]);

  const label = (e: { activeLabel?: string | number } | null) => (e?.activeLabel === undefined ? null : Number(e.activeLabel));

  return (
    <div data-testid="curves-chart">
      <ZoomRow>
        {zoom ? (
          <Button type="button" onClick={() => setZoom(null)}>
            Reset zoom
          </Button>
        ) : (
          <small>drag across the plot to zoom</small>
        )}
      </ZoomRow>
      <ResponsiveContainer width="100%" height={height}>
        <LineChart
          data={rows}
          margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
          onMouseDown={(e) => {
            const x = label(e);
            if (x !== null) setDrag({ from: x, to: x });
          }}
          onMouseMove={(e) => {
            const x = label(e);
            if (drag && x !== null) setDrag({ ...drag, to: x });
          }}
          onMouseUp={() => {
            if (drag && drag.from !== drag.to) setZoom([Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)]);
            setDrag(null);
          }}
        >
          <CartesianGrid strokeDasharray="3 3" stroke={theme.colors.chartGrid} />
          <RXAxis dataKey="x" type="number" domain={zoom ?? ['dataMin', 'dataMax']} allowDataOverflow tick={{ fontSize: 12 }} tickFormatter={formatX(options.x)} />
          <YAxis
            scale={options.logY ? 'log' : 'auto'}
            domain={['auto', 'auto']}
            allowDataOverflow
            width={60}
            tick={{ fontSize: 12 }}
            tickFormatter={(v: number) => Number(v.toPrecision(3)).toString()}
          />
          <Tooltip
            content={({ label: at }) =>
              at === undefined ? null : (
                <TooltipBox>
                  <div>
                    {X_LABEL[options.x]} {formatX(options.x)(Number(at))}
                  </div>
                  {prepared.map((p) => {
                    const j = nearestIndex(p.xs, Number(at));
                    if (j < 0) return null;
                    return (
                      <div key={p.id} style={{ color: p.colour }}>
                        {single ? '' : `${p.name}: `}
                        {formatNumber(p.smooth[j])}
                        {options.smoothing > 0 && <small> (raw {formatNumber(p.raw[j])})</small>}
                      </div>
                    );
                  })}
                </TooltipBox>
              )
            }
          />
          {options.smoothing > 0 &&
            prepared.map((p) => <Line key={`${p.id}:raw`} dataKey={`${p.id}:raw`} className="curve-raw" stroke={p.colour} strokeOpacity={0.25} dot={false} connectNulls isAnimationActive={false} legendType="none" />)}
          {prepared.map((p) => (
            <Line key={p.id} dataKey={p.id} name={p.name} className="curve-smoothed" type="linear" stroke={p.colour} strokeWidth={2} dot={false} connectNulls isAnimationActive={false} />
          ))}
          {drag && <ReferenceArea x1={drag.from} x2={drag.to} strokeOpacity={0.3} fill={theme.colors.primary} fillOpacity={0.1} />}
        </LineChart>
      </ResponsiveContainer>
      {!single && (
        <Legend>
          {prepared.map((p) => (
            <span key={p.id} style={{ color: p.colour }}>
              ● {p.name}
            </span>
          ))}
        </Legend>
      )}
    </div>
  );
}

const TooltipBox = styled.div`
  background: ${({ theme }) => theme.colors.surface};
  border: 1px solid ${({ theme }) => theme.colors.border};
  border-radius: ${({ theme }) => theme.radius};
  padding: ${({ theme }) => theme.space(2)};
  font-size: 0.8rem;
  color: ${({ theme }) => theme.colors.text};
`;

const ZoomRow = styled.div`
  display: flex;
  justify-content: flex-end;
  align-items: center;
  height: 26px;
  color: ${({ theme }) => theme.colors.muted};
  button {
    font-size: 0.8rem;
    padding: 2px 8px;
  }
`;

const Legend = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(3)};
  justify-content: center;
  font-size: 0.85rem;
`;
