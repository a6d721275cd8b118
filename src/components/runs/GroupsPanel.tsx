/**
 * The runs table grouped (issue 19): runs that differ only in seed — or share chosen columns — as one
 * row each, with n and each metric's mean and bootstrap interval; two groups picked are compared
 * across their seeds (unpaired bootstrap), with n shown and a warning below 3 seeds.
 */
import { useState } from 'react';
import { client, type GroupComparison } from '../../apiClient';
import { useApi } from '../../hooks/useApi';
import type { MeanWithCi } from '../../shared/runs/groups';
import { Button, Empty, ErrorState, formatNumber, InlineError, Loading, Mono, Table, TableScroll } from '../ui';

interface Props {
  by: string;
  filter: string;
  status: string | undefined;
  experimentId: string | undefined;
}

const interval = (m: MeanWithCi | undefined) =>
  m === undefined ? '—' : `${formatNumber(m.mean)}${m.ci.lower !== null ? ` [${formatNumber(m.ci.lower)}, ${formatNumber(m.ci.upper)}]` : ''}`;

export function GroupsPanel({ by, filter, status, experimentId }: Props) {
  const groups = useApi(() => client.runGroups({ by, filter, status, experimentId }), [by, filter, status, experimentId]);
  const [picked, setPicked] = useState<string[]>([]);
  const [comparison, setComparison] = useState<GroupComparison | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (groups.error) return <ErrorState error={groups.error} onRetry={groups.reload} />;
  if (!groups.data) return <Loading what="groups" />;
  const { items, runs, truncated } = groups.data;
  if (items.length === 0) return <Empty>No runs match.</Empty>;
  const metrics = [...new Set(items.flatMap((g) => Object.keys(g.metrics)))].sort().slice(0, 6);
  const toggle = (key: string) => {
    setComparison(null);
    setPicked((p) => (p.includes(key) ? p.filter((k) => k !== key) : [...p, key].slice(-2)));
  };
  const compare = async () => {
    const [a, b] = picked.map((k) => items.find((g) => g.key === k)!.runIds);
    setError(null);
    try {
      setComparison(await client.compareGroups(a!, b!));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div data-testid="run-groups">
      <p>
        {items.length.toLocaleString('en-US')} group(s) of {runs.toLocaleString('en-US')} run(s){truncated ? ' (the first 10,000 matching)' : ''}; each metric: the mean over the group [its 95% bootstrap interval].
        Pick two groups to compare them across their seeds.
      </p>
      <TableScroll>
        <Table>
          <thead>
            <tr>
              <th />
              <th>Configuration</th>
              <th>n</th>
              {metrics.map((m) => (
                <th key={m}>{m}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {items.map((g) => (
              <tr key={g.key}>
                <td>
                  <input type="checkbox" aria-label={`Pick ${g.key || 'the group'}`} checked={picked.includes(g.key)} onChange={() => toggle(g.key)} />
                </td>
                <td>
                  <Mono>{g.key || '(every value is a seed)'}</Mono>
                </td>
                <td>{g.n}</td>
                {metrics.map((m) => (
                  <td key={m}>
                    <Mono>{interval(g.metrics[m])}</Mono>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </Table>
      </TableScroll>
      <p>
        <Button type="button" disabled={picked.length !== 2} onClick={() => void compare()}>
          Compare the two groups
        </Button>
      </p>
      {error && <InlineError role="alert">{error}</InlineError>}
      {comparison && (
        <div data-testid="group-comparison">
          <p>
            <strong>{picked[1]}</strong> (n = {comparison.b.n}) against <strong>{picked[0]}</strong> (n = {comparison.a.n}): the difference of the means, with an unpaired bootstrap over the seeds.
          </p>
          {comparison.warning && <InlineError role="status">{comparison.warning}</InlineError>}
          <TableScroll>
            <Table>
              <thead>
                <tr>
                  <th>Metric</th>
                  <th>{picked[0]}</th>
                  <th>{picked[1]}</th>
                  <th>Difference [95% CI]</th>
                  <th>p</th>
                </tr>
              </thead>
              <tbody>
                {comparison.differences.map((d) => (
                  <tr key={d.metric}>
                    <td>{d.metric}</td>
                    <td>
                      <Mono>{interval(d.a)}</Mono>
                    </td>
                    <td>
                      <Mono>{interval(d.b)}</Mono>
                    </td>
                    <td>
                      <Mono>
                        {formatNumber(d.diff)} [{formatNumber(d.ci.lower)}, {formatNumber(d.ci.upper)}]
                      </Mono>
                    </td>
                    <td>
                      <Mono>{d.pValue === null ? '—' : formatNumber(d.pValue)}</Mono>
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
        </div>
      )}
    </div>
  );
}
