/**
 * The runs table grouped (issue 19): runs that differ only in seed — or share chosen columns — as one
 * row each, with n and each metric's mean and bootstrap interval; two groups picked are compared
 * across their seeds (unpaired bootstrap), with n shown and a warning below 3 seeds.
 */
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { client, type GroupComparison } from '../../apiClient';
import { compareUrl, GroupComparisonTable, interval } from './GroupComparison';
import { useApi } from '../../hooks/useApi';
import { Button, Empty, ErrorState, InlineError, Loading, Mono, Table, TableScroll } from '../ui';

interface Props {
  by: string;
  filter: string;
  status: string | undefined;
  experimentId: string | undefined;
}

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
        <>
          <GroupComparisonTable comparison={comparison} labels={[picked[0]!, picked[1]!]} />
          {compareUrl(comparison.a.runIds, comparison.b.runIds, [picked[0]!, picked[1]!]) ? (
            <Link to={compareUrl(comparison.a.runIds, comparison.b.runIds, [picked[0]!, picked[1]!])!}>Open in Compare</Link>
          ) : (
            <small>Too many runs to put in a link: compare them here.</small>
          )}
        </>
      )}
    </div>
  );
}
