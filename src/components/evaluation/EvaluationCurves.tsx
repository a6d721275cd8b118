/**
 * The evaluation's curves (evaluations/curves.json): ROC and precision–recall curves and the
 * reliability diagram with its expected calibration error — per class, one-vs-rest, for a multiclass
 * task — or, for a regression, predicted against actual and the residuals.
 */
import { useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import styled, { useTheme } from 'styled-components';
import type { CurvesDocument } from '../../shared/evalHarness';
import { Card, CardTitle, formatNumber } from '../ui';

/** Curves side by side, as many to a row as fit (the Evaluation tab's and Compare's). */
export const CurveGrid = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
  gap: ${({ theme }) => theme.space(4)};
  figure {
    margin: 0;
    min-width: 0;
  }
  figcaption {
    font-size: 0.9rem;
    margin-bottom: ${({ theme }) => theme.space(1)};
  }
`;

/** A curve's x and y arrays as chart points, the non-finite ones left out (also Compare's overlays). */
export const points = (xs: number[], ys: number[]) => xs.map((x, i) => ({ x, y: ys[i]! })).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));

function Curve({ data, xLabel, yLabel, diagonal, testId }: { data: { x: number; y: number }[]; xLabel: string; yLabel: string; diagonal: boolean; testId: string }) {
  const theme = useTheme();
  return (
    <div data-testid={testId}>
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke={theme.colors.chartGrid} />
          <XAxis dataKey="x" type="number" domain={[0, 1]} tick={{ fontSize: 11 }} label={{ value: xLabel, position: 'insideBottom', offset: -8, fontSize: 11 }} />
          <YAxis type="number" domain={[0, 1]} width={40} tick={{ fontSize: 11 }} label={{ value: yLabel, angle: -90, position: 'insideLeft', fontSize: 11 }} />
          <Tooltip formatter={(v) => formatNumber(v)} labelFormatter={(x) => `${xLabel} ${formatNumber(x)}`} />
          {diagonal && <Line data={[{ x: 0, y: 0 }, { x: 1, y: 1 }]} dataKey="y" stroke={theme.colors.muted} strokeDasharray="4 4" dot={false} isAnimationActive={false} legendType="none" />}
          <Line dataKey="y" name={yLabel} type="linear" stroke={theme.colors.primary} strokeWidth={2} dot={data.length < 30} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

function Points({ data, xLabel, yLabel, testId }: { data: { x: number; y: number }[]; xLabel: string; yLabel: string; testId: string }) {
  const theme = useTheme();
  return (
    <div data-testid={testId}>
      <ResponsiveContainer width="100%" height={220}>
        <ScatterChart margin={{ top: 8, right: 16, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke={theme.colors.chartGrid} />
          <XAxis dataKey="x" type="number" domain={['auto', 'auto']} tick={{ fontSize: 11 }} label={{ value: xLabel, position: 'insideBottom', offset: -8, fontSize: 11 }} />
          <YAxis dataKey="y" type="number" name={yLabel} domain={['auto', 'auto']} width={48} tick={{ fontSize: 11 }} tickFormatter={(v: number) => Number(v.toPrecision(3)).toString()} />
          <Tooltip formatter={(v) => formatNumber(v)} />
          <Scatter data={data} fill={theme.colors.primary} isAnimationActive={false} />
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}

export function EvaluationCurves({ curves }: { curves: CurvesDocument | null }) {
  const [picked, setPicked] = useState(0);
  if (!curves) return null;
  if (curves.taskType === 'regression' && curves.regression) {
    const r = curves.regression;
    return (
      <Card>
        <CardTitle>Predictions against the truth</CardTitle>
        <CurveGrid>
          <figure>
            <figcaption>Predicted against actual</figcaption>
            <Points data={points(r.actual, r.predicted)} xLabel="actual" yLabel="predicted" testId="predicted-vs-actual" />
          </figure>
          <figure>
            <figcaption>Residual (actual − predicted) against predicted</figcaption>
            <Points data={points(r.predicted, r.residual)} xLabel="predicted" yLabel="residual" testId="residuals" />
          </figure>
        </CurveGrid>
        {curves.downsampled && <small>Thinned to 1,000 points of the whole set.</small>}
      </Card>
    );
  }
  if (curves.classes.length === 0) return null; // predicted labels alone: no scores to draw curves from
  const c = curves.classes[Math.min(picked, curves.classes.length - 1)]!;
  return (
    <Card>
      <CardTitle>Curves</CardTitle>
      {curves.classes.length > 1 && (
        <label>
          Class (one against the rest){' '}
          <select aria-label="Curves of class" value={picked} onChange={(e) => setPicked(Number(e.target.value))}>
            {curves.classes.map((k, i) => (
              <option key={String(k.positive)} value={i}>
                {String(k.positive)}
              </option>
            ))}
          </select>
        </label>
      )}
      <CurveGrid>
        <figure>
          <figcaption>ROC ({String(c.positive)} positive)</figcaption>
          <Curve data={points(c.roc.fpr, c.roc.tpr)} xLabel="false positive rate" yLabel="true positive rate" diagonal testId="roc-curve" />
        </figure>
        <figure>
          <figcaption>Precision–recall</figcaption>
          <Curve data={points(c.pr.recall, c.pr.precision).reverse()} xLabel="recall" yLabel="precision" diagonal={false} testId="pr-curve" />
        </figure>
        <figure>
          <figcaption>
            Reliability (10 bins) — expected calibration error <strong data-testid="ece">{formatNumber(c.calibration.ece)}</strong>
          </figcaption>
          <Curve data={points(c.calibration.probPred, c.calibration.probTrue)} xLabel="mean predicted probability" yLabel="fraction positive" diagonal testId="calibration-curve" />
        </figure>
      </CurveGrid>
      {curves.downsampled && <small>Curves thinned to 1,000 points each.</small>}
    </Card>
  );
}
