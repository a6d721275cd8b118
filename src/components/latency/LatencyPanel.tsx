/** The run page's Latency tab: the stored profile's cards, histogram and percentile curve, and the profile form. */
import { useState } from 'react';
import styled from 'styled-components';
import { useApi } from '../../hooks/useApi';
import { client } from '../../apiClient';
import type { StoredLatency } from '../../shared/contract/types';
import { LatencyHistogram, PercentileCurve } from '../charts/LatencyCharts';
import { Card, CardTitle, Empty, ErrorState, formatNumber, Loading, Mono } from '../ui';
import { ProfileForm } from './ProfileForm';

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

const Caption = styled.p`
  margin: ${({ theme }) => theme.space(2)} 0 ${({ theme }) => theme.space(3)};
  color: ${({ theme }) => theme.colors.muted};
  overflow-wrap: anywhere;
`;

export function LatencyPanel({ runId }: { runId: string }) {
  const profile = useApi(() => client.latencyProfile(runId), [runId]);
  // A profile just run from the form is shown as answered, without re-reading it (and the form keeps its values).
  const [fresh, setFresh] = useState<StoredLatency | null>(null);
  const p = fresh ?? profile.data;
  if (!p && profile.loading) return <Loading what="latency profile" />;
  if (!p && profile.error) return <ErrorState error={profile.error} onRetry={profile.reload} />;
  // The form stays at one place in the tree, so it keeps its values when a result appears.
  return (
    <>
      {p ? (
        <ProfileView p={p} />
      ) : (
        <Card>
          <Empty>
            No latency profile yet. Profile an endpoint below, run <Mono>npx modellab profile --url … --run {runId}</Mono>, or send latencies measured around your model with{' '}
            <Mono>POST /api/modellab/runs/{runId}/latency</Mono> and <Mono>{'{"samplesMs": [...]}'}</Mono>.
          </Empty>
        </Card>
      )}
      <ProfileForm runId={runId} onDone={setFresh} />
    </>
  );
}

function ProfileView({ p }: { p: StoredLatency }) {
  const source = typeof p.config.source === 'string' ? p.config.source : null;
  const target = p.config.target as { url?: string; method?: string } | string | undefined;
  const tiles: [string, string][] = [
    ['p50', `${formatNumber(p.latency.p50)} ms`],
    ['p95', `${formatNumber(p.latency.p95)} ms`],
    ['p99', `${formatNumber(p.latency.p99)} ms`],
    ['throughput', p.throughput === null ? '—' : `${p.throughput.toFixed(1)} req/s`],
    ['errors', String(p.errors)],
    ['samples', p.count.toLocaleString('en-US')],
  ];
  return (
    <>
      <Card>
        <CardTitle>Latency (measured {new Date(p.measuredAt).toLocaleString()})</CardTitle>
        {(typeof target === 'object' || source) && (
          <Caption>
            {typeof target === 'object' && target.url ? (
              <Mono>
                {target.method ?? 'GET'} {target.url}
              </Mono>
            ) : null}
            {typeof target === 'object' && source ? ' · ' : ''}
            {source}
            {typeof p.config.concurrency === 'number' ? ` · concurrency ${p.config.concurrency}` : ''}
          </Caption>
        )}
        <Tiles data-testid="latency-cards">
          {tiles.map(([label, value]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </Tiles>
        {p.errors > 0 && (
          <Caption data-testid="latency-errors">
            Failures (timed and counted in the statistics): {Object.entries(p.errorsByKind).map(([kind, n]) => `${kind} ×${n}`).join(', ')}
          </Caption>
        )}
      </Card>
      <Card>
        <CardTitle>Histogram</CardTitle>
        <LatencyHistogram bins={p.histogram} />
      </Card>
      <Card>
        <CardTitle>Percentile curve</CardTitle>
        <PercentileCurve series={[{ key: 'ms', label: 'latency', points: p.percentiles }]} />
      </Card>
    </>
  );
}
