/**
 * Parallel coordinates over a sweep (issue 19): one vertical axis per chosen parameter (numeric or
 * categorical) and the metric last, each run a line. Dragging along an axis brushes a range; the
 * brushes become a filter-language condition (`params.lr >= 0.01 AND params.lr <= 0.1 AND
 * params.opt IN ('adam')`) that narrows the runs table — the URL's `brush` — and the brushed
 * runs' lines stay bright.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTheme } from 'styled-components';
import { client } from '../../apiClient';
import { Button, ErrorState, Loading } from '../ui';
import { clearedContext } from '../charts/canvas';

const WIDTH_PER_AXIS = 130;
const HEIGHT = 260;
const PAD = 28;
const MAX_LINES = 10_000;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Axis = { field: string; label: string; numeric: boolean; min: number; max: number; categories: string[] };
type Brush = { lo: number; hi: number }; // in axis pixels (0 = top)

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** A field the filter language can name: params.a.b and metrics.k with identifier segments. */
export const filterable = (field: string) => field.split('.').slice(1).every((s) => IDENT.test(s));

const SIDE = 48; // room for the outer axes' labels

/** Where the axes and each value go, in pixels. */
function layout(axes: Axis[]) {
  const width = Math.max(320, axes.length * WIDTH_PER_AXIS);
  const x = (i: number) => SIDE + (i * (width - 2 * SIDE)) / Math.max(1, axes.length - 1);
  const y = (axis: Axis, cell: string): number | null => {
    if (cell === '') return null;
    if (axis.numeric) return HEIGHT - PAD - ((Number(cell) - axis.min) / (axis.max - axis.min || 1)) * (HEIGHT - 2 * PAD);
    const k = axis.categories.indexOf(cell);
    return HEIGHT - PAD - ((k + 0.5) / axis.categories.length) * (HEIGHT - 2 * PAD);
  };
  const valueAt = (axis: Axis, py: number) => axis.min + ((HEIGHT - PAD - py) / (HEIGHT - 2 * PAD)) * (axis.max - axis.min);
  return { width, x, y, valueAt };
}

interface Props {
  params: string[];
  metric: string;
  query: { filter: string; status: string | undefined; experimentId: string | undefined };
  brush: string;
  onBrush: (condition: string) => void;
}

export function ParallelBrush({ params, metric, query, brush, onBrush }: Props) {
  const theme = useTheme();
  const [rows, setRows] = useState<string[][] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [brushes, setBrushes] = useState<Record<string, Brush>>({});
  const drag = useRef<{ field: string; from: number } | null>(null);
  const fields = useMemo(() => [...params.map((p) => `params.${p}`), `metrics.${metric}`].filter(filterable), [params, metric]);

  useEffect(() => {
    let current = true;
    setRows(null);
    client.runsColumns({ ...query, columns: fields.join(',') }).then(
      (r) => current && setRows(r.slice(0, MAX_LINES)),
      (e: Error) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [fields.join(','), query.filter, query.status, query.experimentId]); // eslint-disable-line react-hooks/exhaustive-deps

  const axes: Axis[] = useMemo(() => {
    if (!rows) return [];
    return fields.map((field, j) => {
      const cells = rows.map((r) => r[j] ?? '').filter((c) => c !== '');
      const numeric = cells.length > 0 && cells.every((c) => Number.isFinite(Number(c)));
      const numbers = numeric ? cells.map(Number) : [];
      return { field, label: field.replace(/^params\./, ''), numeric, min: Math.min(...numbers), max: Math.max(...numbers), categories: numeric ? [] : [...new Set(cells)].sort() };
    });
  }, [rows, fields]);

  const { width, x, y, valueAt } = layout(axes);
  const inBrushes = (row: string[]) =>
    axes.every((a, j) => {
      const b = brushes[a.field];
      if (!b) return true;
      const py = y(a, row[j] ?? '');
      return py !== null && py >= b.lo && py <= b.hi;
    });
  const on = rows ? rows.map(inBrushes) : [];
  const onCount = on.filter(Boolean).length;

  // The lines on a canvas (one path per colour): 10,000 SVG elements re-rendered on every move of a
  // brush took the page to a crawl; the axes, labels and brushes stay SVG above it.
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!rows) return;
    const context = clearedContext(canvas.current, width, HEIGHT);
    if (!context) return;
    context.lineWidth = 1;
    for (const bright of [false, true]) {
      context.beginPath();
      rows.forEach((row, k) => {
        if (on[k] !== bright) return;
        let started = false;
        axes.forEach((a, j) => {
          const py = y(a, row[j] ?? '');
          if (py === null) return;
          if (started) context.lineTo(x(j), py);
          else context.moveTo(x(j), py);
          started = true;
        });
      });
      context.strokeStyle = bright ? theme.colors.primary : theme.colors.chartGrid;
      context.globalAlpha = bright ? 0.5 : 0.25;
      context.stroke();
    }
    context.globalAlpha = 1;
  });

  if (error) return <ErrorState error={error} />;
  if (!rows) return <Loading what="the runs for parallel coordinates" />;
  /** The brushes as a filter condition for the table. */
  const condition = (all: Record<string, Brush>) =>
    axes
      .flatMap((a) => {
        const b = all[a.field];
        if (!b) return [];
        if (a.numeric) {
          const [lo, hi] = [valueAt(a, b.hi), valueAt(a, b.lo)];
          return [`${a.field} >= ${Number(lo.toPrecision(6))} AND ${a.field} <= ${Number(hi.toPrecision(6))}`];
        }
        const picked = a.categories.filter((c) => {
          const py = y(a, c)!;
          return py >= b.lo && py <= b.hi;
        });
        return picked.length ? [`${a.field} IN (${picked.map(quote).join(', ')})`] : [];
      })
      .join(' AND ');

  const pointer = (e: React.PointerEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    return { px: e.clientX - box.left, py: e.clientY - box.top };
  };
  return (
    <div data-testid="parallel-brush" data-lines={rows.length} data-lines-on={onCount} style={{ overflowX: 'auto' }}>
      <div style={{ position: 'relative', width, height: HEIGHT }}>
      <canvas ref={canvas} style={{ position: 'absolute', inset: 0, width, height: HEIGHT }} aria-hidden="true" />
      <svg
        width={width}
        height={HEIGHT}
        role="img"
        aria-label={`Parallel coordinates of ${axes.map((a) => a.label).join(', ')}: ${onCount.toLocaleString('en-US')} of ${rows.length.toLocaleString('en-US')} runs inside the brushes`}
        style={{ position: 'absolute', inset: 0, touchAction: 'none', userSelect: 'none' }}
        onPointerDown={(e) => {
          const { px, py } = pointer(e);
          const i = axes.findIndex((_, k) => Math.abs(x(k) - px) < 18);
          if (i >= 0) drag.current = { field: axes[i]!.field, from: py };
        }}
        onPointerMove={(e) => {
          if (!drag.current) return;
          const { py } = pointer(e);
          const { field, from } = drag.current;
          setBrushes((b) => ({ ...b, [field]: { lo: Math.min(from, py), hi: Math.max(from, py) } }));
        }}
        onPointerUp={() => {
          if (!drag.current) return;
          drag.current = null;
          onBrush(condition(brushes));
        }}
      >
        {axes.map((a, j) => (
          <g key={a.field}>
            <line x1={x(j)} x2={x(j)} y1={PAD} y2={HEIGHT - PAD} stroke={theme.colors.muted} strokeWidth={2} />
            {brushes[a.field] && <rect x={x(j) - 8} width={16} y={brushes[a.field]!.lo} height={brushes[a.field]!.hi - brushes[a.field]!.lo} fill={theme.colors.primary} fillOpacity={0.25} stroke={theme.colors.primary} />}
            <text x={x(j)} y={PAD - 10} textAnchor="middle" fontSize={11} fill={theme.colors.text}>
              {a.label}
            </text>
            <text x={x(j)} y={HEIGHT - 8} textAnchor="middle" fontSize={10} fill={theme.colors.muted}>
              {a.numeric ? `${Number(a.min.toPrecision(3))} – ${Number(a.max.toPrecision(3))}` : a.categories.join(' · ').slice(0, 24)}
            </text>
          </g>
        ))}
      </svg>
      </div>
      <p>
        <small>Drag along an axis to brush a range: the table keeps the runs inside every brush.</small>{' '}
        {brush && (
          <Button
            type="button"
            onClick={() => {
              setBrushes({});
              onBrush('');
            }}
          >
            Clear brushes
          </Button>
        )}
      </p>
    </div>
  );
}
