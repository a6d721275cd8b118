/**
 * Compare's ROC and precision–recall overlays: each run's curves (evaluations/curves.json, read per
 * run) on one pair of charts, for the positive class of a binary task or a chosen class one-vs-rest.
 */
import { useEffect, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTheme } from 'styled-components';
import { client } from '../../apiClient';
import type { CurvesDocument } from '../../shared/evalHarness';
import { RUN_COLOURS } from '../charts/CompareCharts';
import { Card, CardTitle, formatNumber } from '../ui';
import { CurveGrid, points } from './EvaluationCurves';


type Run = { id: string; name: string };

function Overlay({ runs, curves, pick, xLabel, yLabel, testId }: { runs: Run[]; curves: Map<string, CurvesDocument>; pick: (doc: CurvesDocument) => { x: number[]; y: number[] } | null; xLabel: string; yLabel: string; testId: string }) {
  const theme = useTheme();
  return (
    <div data-testid={testId}>
      <ResponsiveContainer width="100%" height={240}>
        <LineChart margin={{ top: 8, right: 16, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke={theme.colors.chartGrid} />
          <XAxis dataKey="x" type="number" domain={[0, 1]} tick={{ fontSize: 11 }} label={{ value: xLabel, position: 'insideBottom', offset: -8, fontSize: 11 }} />
          <YAxis type="number" domain={[0, 1]} width={40} tick={{ fontSize: 11 }} label={{ value: yLabel, angle: -90, position: 'insideLeft', fontSize: 11 }} />
          <Tooltip formatter={(v) => formatNumber(v)} labelFormatter={(x) => `${xLabel} ${formatNumber(x)}`} />
          <Legend verticalAlign="top" height={24} />
          {runs.map((r, i) => {
            const doc = curves.get(r.id);
            const xy = doc ? pick(doc) : null;
            if (!xy) return null;
            return <Line key={r.id} data={points(xy.x, xy.y)} dataKey="y" name={r.name} type="linear" stroke={RUN_COLOURS[i % RUN_COLOURS.length]} strokeWidth={2} dot={false} isAnimationActive={false} />;
          })}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

export function CompareCurves({ runs }: { runs: Run[] }) {
  const [curves, setCurves] = useState<Map<string, CurvesDocument> | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  const key = runs.map((r) => r.id).join(',');
  useEffect(() => {
    let current = true;
    Promise.all(runs.map(async (r) => [r.id, (await client.evaluation(r.id))?.curves ?? null] as const)).then(
      (all) => current && setCurves(new Map(all.filter((e): e is readonly [string, CurvesDocument] => e[1] !== null && e[1].classes.length > 0))),
      () => current && setCurves(new Map()),
    );
    return () => {
      current = false;
    };
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps
  if (!curves || curves.size === 0) return null;
  const classes = [...new Set([...curves.values()].flatMap((d) => d.classes.map((c) => String(c.positive))))];
  const cls = picked ?? classes[0]!;
  const of = (doc: CurvesDocument) => doc.classes.find((c) => String(c.positive) === cls) ?? null;
  return (
    <Card>
      <CardTitle>ROC and precision–recall</CardTitle>
      {classes.length > 1 && (
        <label>
          Class{' '}
          <select aria-label="Curves of class" value={cls} onChange={(e) => setPicked(e.target.value)}>
            {classes.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
      )}
      <CurveGrid>
        <figure>
          <figcaption>ROC ({cls} positive)</figcaption>
          <Overlay runs={runs} curves={curves} pick={(d) => { const c = of(d); return c && { x: c.roc.fpr, y: c.roc.tpr }; }} xLabel="false positive rate" yLabel="true positive rate" testId="compare-roc" />
        </figure>
        <figure>
          <figcaption>Precision–recall</figcaption>
          <Overlay runs={runs} curves={curves} pick={(d) => { const c = of(d); return c && { x: [...c.pr.recall].reverse(), y: [...c.pr.precision].reverse() }; }} xLabel="recall" yLabel="precision" testId="compare-pr" />
        </figure>
      </CurveGrid>
    </Card>
  );
}
