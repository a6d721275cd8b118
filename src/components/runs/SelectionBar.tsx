/**
 * What the runs table does with its selected runs: compare them (up to MAX_COMPARE), tag them, move
 * them to a status, delete them — each one request (POST /runs/bulk), all or nothing, its error
 * shown here — and select every run the search matches, not only the loaded rows.
 */
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import styled from 'styled-components';
import { client, type BulkRunsRequest } from '../../apiClient';
import { BULK_MAX_RUNS } from '../../shared/contract/schemas';
import { RUN_STATUSES } from '../../shared/contract/constants';
import type { RunStatus } from '../../shared/contract/types';
import { Button, InlineError } from '../ui';

/** Compare shows at most this many runs side by side. */
export const MAX_COMPARE = 10;

const Bar = styled.div`
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: ${({ theme }) => theme.space(2)};
  margin-bottom: ${({ theme }) => theme.space(3)};
  padding: ${({ theme }) => theme.space(2)};
  border: 1px solid ${({ theme }) => theme.colors.primary};
  border-radius: ${({ theme }) => theme.radius};
  background: ${({ theme }) => theme.colors.bg};
  form {
    display: flex;
    gap: ${({ theme }) => theme.space(1)};
    align-items: center;
  }
  input[type='text'] {
    width: 9rem;
  }
`;

const Note = styled.span`
  color: ${({ theme }) => theme.colors.muted};
  font-size: 0.85rem;
`;

interface Props {
  selected: ReadonlySet<string>;
  total: number | null;
  allLoadedSelected: boolean;
  onSelect: (ids: ReadonlySet<string>) => void;
  selectAllMatching: () => Promise<string[]>;
  onChanged: () => void;
}

export function SelectionBar({ selected, total, allLoadedSelected, onSelect, selectAllMatching, onChanged }: Props) {
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<RunStatus>('completed');
  if (selected.size === 0) return null;
  const ids = [...selected];

  const run = async (work: () => Promise<unknown>, clear: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      if (clear) onSelect(new Set());
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const bulk = (body: BulkRunsRequest, clear = false) => run(() => client.bulkRuns(body), clear);

  const tag = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const text = String(new FormData(form).get('tag') ?? '').trim();
    const at = text.indexOf('=');
    if (at <= 0) {
      setError('Write the tag as key=value');
      return;
    }
    void bulk({ action: 'tag', ids, tags: { [text.slice(0, at).trim()]: text.slice(at + 1).trim() } }).then(() => form.reset());
  };

  const tooMany = ids.length > BULK_MAX_RUNS;
  return (
    <Bar role="region" aria-label="Selected runs">
      <strong data-testid="selected-count">{ids.length.toLocaleString('en-US')} selected</strong>
      {allLoadedSelected && total !== null && total > ids.length && (
        <Button type="button" disabled={busy} onClick={() => void run(async () => onSelect(new Set(await selectAllMatching())), false)}>
          Select all {total.toLocaleString('en-US')} matching
        </Button>
      )}
      <Button type="button" onClick={() => onSelect(new Set())}>
        Clear
      </Button>
      <Button type="button" disabled={busy || ids.length < 2 || ids.length > MAX_COMPARE} onClick={() => navigate(`/compare?runs=${ids.join(',')}`)}>
        Compare
      </Button>
      {ids.length > MAX_COMPARE && <Note>Compare takes up to {MAX_COMPARE} runs; {ids.length.toLocaleString('en-US')} are selected.</Note>}
      <form onSubmit={tag} aria-label="Tag the selected runs">
        <input type="text" name="tag" placeholder="key=value" aria-label="Tag" maxLength={5250} />
        <Button type="submit" disabled={busy || tooMany}>
          Tag
        </Button>
      </form>
      <form
        aria-label="Set the status of the selected runs"
        onSubmit={(e) => {
          e.preventDefault();
          void bulk({ action: 'status', ids, status });
        }}
      >
        <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value as RunStatus)}>
          {RUN_STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <Button type="submit" disabled={busy || tooMany}>
          Set status
        </Button>
      </form>
      <Button
        type="button"
        disabled={busy || tooMany}
        onClick={() => window.confirm(`Delete ${ids.length.toLocaleString('en-US')} run(s) with their metrics and artifacts? This cannot be undone.`) && void bulk({ action: 'delete', ids }, true)}
      >
        Delete
      </Button>
      {tooMany && <Note>At most {BULK_MAX_RUNS.toLocaleString('en-US')} runs per change.</Note>}
      {error && <InlineError role="alert">{error}</InlineError>}
    </Bar>
  );
}
