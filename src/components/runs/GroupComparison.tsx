/**
 * Two configurations compared across their seeds (GET /compare/groups): each shared metric's mean in
 * each group with its bootstrap interval, the difference of the means with an unpaired bootstrap
 * interval and p-value, n per group, and a warning below 3 seeds. Shown in the Runs page's Group
 * panel and on the Compare page (/compare?groupA=…&groupB=…), which a link from the panel opens.
 */
import { client, type GroupComparison } from '../../apiClient';
import { useApi } from '../../hooks/useApi';
import type { MeanWithCi } from '../../shared/runs/groups';
import { GROUP_BOOTSTRAP_RESAMPLES } from '../../shared/contract/constants';
import { ErrorState, formatNumber, InlineError, Loading, Mono, Table, TableScroll } from '../ui';

export const interval = (m: MeanWithCi | undefined) =>
  m === undefined ? '—' : `${formatNumber(m.mean)}${m.ci.lower !== null ? ` [${formatNumber(m.ci.lower)}, ${formatNumber(m.ci.upper)}]` : ''}`;

/** Run ids past which a link would be longer than browsers and proxies reliably take (~16 KB). */
const LINK_MAX_RUNS = 400;

/** The Compare page's link for two groups (null when they hold too many runs for a URL). */
export function compareUrl(a: string[], b: string[], labels: [string, string]): string | null {
  if (a.length + b.length > LINK_MAX_RUNS) return null;
  return `/compare?${new URLSearchParams({ groupA: a.join(','), groupB: b.join(','), labelA: labels[0], labelB: labels[1] }).toString()}`;
}

export function GroupComparisonTable({ comparison, labels }: { comparison: GroupComparison; labels: [string, string] }) {
  const [first, second] = labels.map((l) => l || '(every value is a seed)');
  return (
    <div data-testid="group-comparison">
      <p>
        <strong>{second}</strong> (n = {comparison.b.n}) against <strong>{first}</strong> (n = {comparison.a.n}): the difference of the means, with an unpaired bootstrap over the seeds.
      </p>
      {comparison.warning && <InlineError role="status">{comparison.warning}</InlineError>}
      <TableScroll>
        <Table>
          <thead>
            <tr>
              <th>Metric</th>
              <th>{first}</th>
              <th>{second}</th>
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
                  {/* No resampled difference on the other side of 0: below what the resamples can tell apart. */}
                  <Mono>{d.pValue === null ? '—' : d.pValue === 0 ? `< ${formatNumber(1 / GROUP_BOOTSTRAP_RESAMPLES)}` : formatNumber(d.pValue)}</Mono>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      </TableScroll>
    </div>
  );
}

/** Fetches and shows the comparison of two groups of runs. */
export function GroupComparisonCard({ a, b, labels }: { a: string[]; b: string[]; labels: [string, string] }) {
  const comparison = useApi(() => client.compareGroups(a, b), [a.join(','), b.join(',')]);
  if (comparison.error) return <ErrorState error={comparison.error} onRetry={comparison.reload} />;
  if (!comparison.data) return <Loading what="comparison" />;
  return <GroupComparisonTable comparison={comparison.data} labels={labels} />;
}
