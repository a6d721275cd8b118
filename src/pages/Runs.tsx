/**
 * Runs: server-side filtering (the filter language), sorting and paging, rendered as a virtualised
 * list so 10,000 runs scroll smoothly; pages of 100 rows load as they come into view.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import styled from 'styled-components';
import { CreateRunForm } from '../components/runs/CreateRunForm';
import { Button, Card, ErrorState, formatNumber, InlineError, Mono, PageTitle, StatusBadge } from '../components/ui';
import { useLiveEvents } from '../hooks/useLiveEvents';
import { useApi } from '../hooks/useApi';
import { client } from '../apiClient';
import { RUN_STATUSES } from '../shared/contract/constants';
import { parseFilter } from '../shared/runs/filter';
import type { Run, RunStatus } from '../shared/contract/types';
import { previewJson } from '../shared/jsonDepth';

const ROW_HEIGHT = 40;
const PAGE_SIZE = 100;
const VIEW_HEIGHT = 560;

const ExperimentPicker = styled.label`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space(2)};
  max-width: 100%;
  select {
    font: inherit;
    padding: ${({ theme }) => theme.space(1)} ${({ theme }) => theme.space(2)};
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
    min-width: 0;
    max-width: 100%;
  }
`;

const Toolbar = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(2)};
  align-items: center;
  margin-bottom: ${({ theme }) => theme.space(3)};
`;

const Chip = styled.button<{ $active: boolean }>`
  border: 1px solid ${({ theme, $active }) => ($active ? theme.colors.primary : theme.colors.border)};
  background: ${({ theme, $active }) => ($active ? theme.colors.primary : theme.colors.surface)};
  color: ${({ theme, $active }) => ($active ? theme.colors.primaryText : theme.colors.text)};
  border-radius: 999px;
  padding: 4px 12px;
  font: inherit;
  font-size: 0.85rem;
  cursor: pointer;
`;

const FilterForm = styled.form`
  display: flex;
  gap: ${({ theme }) => theme.space(2)};
  flex: 1 1 320px;
  min-width: 0;
  input {
    flex: 1;
    min-width: 0;
    font-family: ${({ theme }) => theme.fonts.mono};
    padding: ${({ theme }) => theme.space(2)};
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
  }
`;

const Pointer = styled.pre`
  margin: 0 0 ${({ theme }) => theme.space(2)};
  font-size: 0.8rem;
  color: ${({ theme }) => theme.colors.danger};
  overflow-x: auto;
`;

const Viewport = styled.div`
  height: ${VIEW_HEIGHT}px;
  max-height: 70vh;
  overflow: auto;
  border: 1px solid ${({ theme }) => theme.colors.border};
  border-radius: ${({ theme }) => theme.radius};
  background: ${({ theme }) => theme.colors.surface};
  position: relative;
`;

const GridRow = styled.div<{ $columns: string }>`
  display: grid;
  grid-template-columns: ${({ $columns }) => $columns};
  align-items: center;
  height: ${ROW_HEIGHT}px;
  border-bottom: 1px solid ${({ theme }) => theme.colors.border};
  font-size: 0.88rem;
  > div {
    padding: 0 ${({ theme }) => theme.space(3)};
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
`;

const HeaderRow = styled(GridRow)`
  position: sticky;
  top: 0;
  z-index: 1;
  background: ${({ theme }) => theme.colors.bg};
  font-weight: 600;
  color: ${({ theme }) => theme.colors.muted};
  button {
    all: unset;
    cursor: pointer;
  }
`;

const BodyRow = styled(GridRow)`
  position: absolute;
  left: 0;
  cursor: pointer;
  &:hover {
    background: ${({ theme }) => theme.colors.bg};
  }
`;

const Chooser = styled.details`
  position: relative;
  summary {
    cursor: pointer;
    padding: 4px 8px;
  }
  > div {
    position: absolute;
    right: 0;
    z-index: 3;
    background: ${({ theme }) => theme.colors.surface};
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
    padding: ${({ theme }) => theme.space(2)};
    max-height: 320px;
    overflow: auto;
    min-width: 220px;
  }
  label {
    display: block;
    white-space: nowrap;
  }
`;

/** A field reference for the filter/sort language, with backticks where a key needs them. */
const fieldRef = (root: 'params' | 'metrics', key: string) => `${root}.${/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : `\`${key}\``}`;

interface Column {
  id: string;
  label: string;
  sortField: string;
  width: string;
  render: (run: Run) => ReactNode;
}

const BASE_COLUMNS: Column[] = [
  { id: 'name', label: 'Name', sortField: 'name', width: 'minmax(180px, 2fr)', render: (r) => r.name },
  { id: 'status', label: 'Status', sortField: 'status', width: '110px', render: (r) => <StatusBadge status={r.status} /> },
  { id: 'created', label: 'Created', sortField: 'createdAt', width: '170px', render: (r) => new Date(r.createdAt).toLocaleString() },
  { id: 'seed', label: 'Seed', sortField: 'seed', width: '110px', render: (r) => <Mono>{r.seed}</Mono> },
  { id: 'commit', label: 'Commit', sortField: 'gitCommit', width: '100px', render: (r) => <Mono>{r.gitCommit?.slice(0, 8) ?? '—'}</Mono> },
];

export default function Runs() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const status = (RUN_STATUSES as readonly string[]).includes(params.get('status') ?? '') ? (params.get('status') as RunStatus) : undefined;
  const filter = params.get('filter') ?? '';
  const sort = params.get('sort') ?? 'createdAt:desc';
  const experimentId = /^\d+$/.test(params.get('experiment') ?? '') ? params.get('experiment')! : undefined;
  const experiments = useApi(() => client.listExperiments(), []);
  const [draft, setDraft] = useState(filter);
  const [filterError, setFilterError] = useState<{ message: string; pointer?: string } | null>(null);
  const [creating, setCreating] = useState(false);
  const [total, setTotal] = useState<number | null>(null);
  const [pages, setPages] = useState<Map<number, Run[]>>(new Map());
  const [loadError, setLoadError] = useState<Error | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [chosen, setChosen] = useState<{ params: string[]; metrics: string[] } | null>(null);
  const viewport = useRef<HTMLDivElement>(null);
  const inFlight = useRef(new Set<number>());
  const generation = useRef(0);

  const queryKey = JSON.stringify({ status, filter, sort, experimentId });

  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null || value === '') next.delete(key);
    else next.set(key, value);
    setParams(next);
  };

  const loadPage = useCallback(
    async (page: number, gen: number) => {
      if (inFlight.current.has(page)) return;
      inFlight.current.add(page);
      try {
        const result = await client.searchRuns({ status, experimentId, filter: filter || undefined, sort, limit: PAGE_SIZE, offset: page * PAGE_SIZE });
        if (gen !== generation.current) return;
        setTotal(result.total);
        setPages((prev) => new Map(prev).set(page, result.items));
        setLoadError(null);
      } catch (error) {
        if (gen !== generation.current) return;
        const e = error as Error & { code?: string; details?: { pointer?: string } };
        if (e.code === 'invalid_filter') setFilterError({ message: e.message, pointer: e.details?.pointer });
        else setLoadError(e);
      } finally {
        inFlight.current.delete(page);
      }
    },
    [status, filter, sort, experimentId],
  );

  // A new query starts from the top with nothing cached.
  useEffect(() => {
    generation.current++;
    inFlight.current.clear();
    setPages(new Map());
    setTotal(null);
    setScrollTop(0);
    if (viewport.current) viewport.current.scrollTop = 0;
    void loadPage(0, generation.current);
  }, [queryKey, loadPage]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - 10);
  const last = Math.min((total ?? 0) - 1, Math.ceil((scrollTop + VIEW_HEIGHT) / ROW_HEIGHT) + 10);

  useEffect(() => {
    if (total === null) return;
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page++) {
      if (!pages.has(page)) void loadPage(page, generation.current);
    }
  }, [first, last, total, pages, loadPage]);

  // Live: reload what is on screen when runs change anywhere.
  useLiveEvents(['run.created', 'run.updated', 'run.deleted', 'metrics.logged', 'experiment.created', 'experiment.updated'], (event) => {
    if (event.type !== 'metrics.logged') experiments.reload(); // names, stages and run counts per experiment
    generation.current++;
    inFlight.current.clear();
    const gen = generation.current;
    const visible = new Set<number>();
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(Math.max(first, last) / PAGE_SIZE); page++) visible.add(page);
    setPages(new Map());
    for (const page of visible) void loadPage(page, gen);
  }, 1000);

  const known = useMemo(() => {
    const p = new Set<string>();
    const m = new Set<string>();
    for (const rows of pages.values()) {
      for (const run of rows.slice(0, 50)) {
        Object.keys(run.hyperparameters).forEach((k) => p.add(k));
        Object.keys(run.metrics).forEach((k) => m.add(k));
      }
    }
    return { params: [...p].sort(), metrics: [...m].sort() };
  }, [pages]);
  const shown = chosen ?? { params: [], metrics: known.metrics.slice(0, 3) };

  const columns: Column[] = [
    ...BASE_COLUMNS,
    ...shown.params.map((key) => ({
      id: `p:${key}`,
      label: key,
      sortField: fieldRef('params', key),
      width: '120px',
      render: (r: Run) => <Mono>{r.hyperparameters[key] === undefined ? '—' : typeof r.hyperparameters[key] === 'object' ? previewJson(r.hyperparameters[key], 8, 200) : String(r.hyperparameters[key])}</Mono>,
    })),
    ...shown.metrics.map((key) => ({
      id: `m:${key}`,
      label: key,
      sortField: fieldRef('metrics', key),
      width: '120px',
      render: (r: Run) => <Mono>{formatNumber(r.metrics[key])}</Mono>,
    })),
  ];
  const template = columns.map((c) => c.width).join(' ');
  const [sortField, sortDir] = sort.split(/:(?=asc$|desc$)/);

  const toggleSort = (field: string) => setParam('sort', `${field}:${sortField === field && sortDir === 'desc' ? 'asc' : 'desc'}`);

  const applyFilter = (event: FormEvent) => {
    event.preventDefault();
    const text = draft.trim();
    if (text) {
      try {
        parseFilter(text); // the same parser as the server: errors show at once, with their position
      } catch (error) {
        const e = error as Error & { details?: { pointer?: string } };
        setFilterError({ message: e.message, pointer: e.details?.pointer });
        return;
      }
    }
    setFilterError(null);
    setParam('filter', text);
  };

  const toggleColumn = (kind: 'params' | 'metrics', key: string) => {
    const next = { ...shown, [kind]: shown[kind].includes(key) ? shown[kind].filter((k) => k !== key) : [...shown[kind], key] };
    setChosen(next);
  };

  const rows: { index: number; run: Run }[] = [];
  for (let i = first; i <= last; i++) {
    const run = pages.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE];
    if (run) rows.push({ index: i, run });
  }

  return (
    <>
      <PageTitle>Runs</PageTitle>
      {creating ? (
        <CreateRunForm experimentId={experimentId} onCreated={(run) => navigate(`/runs/${run.id}`)} onCancel={() => setCreating(false)} />
      ) : (
        <Toolbar>
          <Button type="button" onClick={() => setCreating(true)}>
            Create run
          </Button>
        </Toolbar>
      )}
      <Card>
        <Toolbar>
          <ExperimentPicker>
            Experiment
            <select aria-label="Experiment" value={experimentId ?? ''} onChange={(e) => setParam('experiment', e.target.value)}>
              <option value="">All experiments</option>
              {(experiments.data?.items ?? []).map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name} ({x.runCount.toLocaleString('en-US')})
                </option>
              ))}
            </select>
          </ExperimentPicker>
        </Toolbar>
        <Toolbar role="group" aria-label="Status filter">
          <Chip type="button" $active={!status} onClick={() => setParam('status', null)}>
            all
          </Chip>
          {RUN_STATUSES.map((s) => (
            <Chip type="button" key={s} $active={status === s} aria-pressed={status === s} onClick={() => setParam('status', s)}>
              {s}
            </Chip>
          ))}
          <span data-testid="runs-total">{total === null ? '…' : `${total.toLocaleString('en-US')} run(s)`}</span>
        </Toolbar>
        <Toolbar>
          <FilterForm onSubmit={applyFilter}>
            <input
              aria-label="Filter"
              placeholder="metrics.accuracy > 0.9 AND params.optimizer.name = 'adam'"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
            />
            <Button type="submit">Apply</Button>
          </FilterForm>
          <Chooser>
            <summary>Columns</summary>
            <div>
              <strong>Metrics</strong>
              {known.metrics.map((k) => (
                <label key={`m${k}`}>
                  <input type="checkbox" checked={shown.metrics.includes(k)} onChange={() => toggleColumn('metrics', k)} /> {k}
                </label>
              ))}
              <strong>Parameters</strong>
              {known.params.map((k) => (
                <label key={`p${k}`}>
                  <input type="checkbox" checked={shown.params.includes(k)} onChange={() => toggleColumn('params', k)} /> {k}
                </label>
              ))}
            </div>
          </Chooser>
        </Toolbar>
        {filterError && (
          <div role="alert">
            <InlineError>{filterError.message}</InlineError>
            {filterError.pointer && <Pointer data-testid="filter-pointer">{filterError.pointer}</Pointer>}
          </div>
        )}
        {loadError && <ErrorState error={loadError} onRetry={() => void loadPage(Math.floor(first / PAGE_SIZE), generation.current)} />}
        {total === 0 && <p>{filter || status || experimentId ? 'No runs match.' : 'No runs yet. Create one here or with POST /api/modellab/runs.'}</p>}
        {total !== 0 && (
          <Viewport ref={viewport} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} data-testid="runs-table" role="table" aria-rowcount={total ?? undefined}>
            <HeaderRow $columns={template} role="row" style={{ minWidth: 'max-content' }}>
              {columns.map((c) => (
                <div key={c.id} role="columnheader" aria-sort={sortField === c.sortField ? (sortDir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" onClick={() => toggleSort(c.sortField)} title={`Sort by ${c.sortField}`}>
                    {c.label}
                    {sortField === c.sortField ? (sortDir === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                </div>
              ))}
            </HeaderRow>
            <div style={{ height: (total ?? 0) * ROW_HEIGHT, position: 'relative', minWidth: 'max-content' }}>
              {rows.map(({ index, run }) => (
                <BodyRow
                  key={run.id}
                  $columns={template}
                  role="row"
                  aria-rowindex={index + 1}
                  style={{ top: index * ROW_HEIGHT, minWidth: '100%' }}
                  onClick={() => navigate(`/runs/${run.id}`)}
                  data-testid="run-row"
                >
                  {columns.map((c) => (
                    <div key={c.id} role="cell">
                      {c.render(run)}
                    </div>
                  ))}
                </BodyRow>
              ))}
            </div>
          </Viewport>
        )}
      </Card>
    </>
  );
}
