/** The run page's Latency tab: the stored profile's cards, histogram and percentile curve. */
import styled from 'styled-components';
import { useApi } from '../../hooks/useApi';
import { client } from '../../utils/modellab/client';
import type { LatencyResult } from '../../utils/modellab/latencyStats';
import { LatencyHistogram, PercentileCurve } from '../charts/LatencyCharts';
import { Card, CardTitle, Empty, ErrorState, formatNumber, Loading, Mono } from '../ui';

const Tiles = styled.dl`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(120px, 1fr));
  gap: ${({ theme }) => theme.space(3)};
  margin: 0;
  div {
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
    padding: ${({ theme }) => theme.space(3)};
  }
  dt {
    color: ${({ theme }) => theme.colors.muted};
    font-size: 0.85rem;
  }
  dd {
    margin: 0;
    font-size: 1.3rem;
    font-weight: 700;
  }
`;

export function LatencyPanel({ runId }: { runId: string }) {
  const profile = useApi(async () => {
    const { items } = await client.listArtifacts(runId);
    if (!items.some((a) => a.path === 'evaluations/latency.json')) return null;
    return JSON.parse((await client.artifactText(runId, 'evaluations/latency.json', 50 * 1024 * 1024)).text) as LatencyResult & { measuredAt: string };
  }, [runId]);
  if (profile.loading && !profile.data) return <Loading what="latency profile" />;
  if (profile.error) return <ErrorState error={profile.error} onRetry={profile.reload} />;
  const p = profile.data;
  if (!p) {
    return (
      <Card>
        <Empty>
          No latency profile yet. Send latencies measured around your model with <Mono>POST /api/modellab/runs/{runId}/latency</Mono> and <Mono>{'{"samplesMs": [...]}'}</Mono>.
        </Empty>
      </Card>
    );
  }
  const tiles: [string, string][] = [
    ['p50', `${formatNumber(p.latency.p50)} ms`],
    ['p95', `${formatNumber(p.latency.p95)} ms`],
    ['p99', `${formatNumber(p.latency.p99)} ms`],
    ['throughput', p.throughput === null ? '—' : `${formatNumber(p.throughput)} req/s`],
    ['errors', String(p.errors)],
    ['samples', p.count.toLocaleString('en-US')],
  ];
  return (
    <>
      <Card>
        <CardTitle>Latency (measured {new Date(p.measuredAt).toLocaleString()})</CardTitle>
        <Tiles data-testid="latency-cards">
          {tiles.map(([label, value]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </Tiles>
      </Card>
      <Card>
        <CardTitle>Histogram</CardTitle>
        <LatencyHistogram bins={p.histogram} />
      </Card>
      <Card>
        <CardTitle>Percentile curve</CardTitle>
        <PercentileCurve points={p.percentiles} />
      </Card>
    </>
  );
}
