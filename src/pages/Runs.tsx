/**
 * Runs: server-side filtering (the filter language), sorting and paging, rendered as a virtualised
 * list so 10,000 runs scroll smoothly; pages of 100 rows load as they come into view.
 *
 * A workbench too (issue 19): rows are selected with their checkboxes (shift-click selects a range;
 * "select all matching" takes every run the search matches, fetched as ids), then compared, tagged,
 * moved to a status or deleted in one request each; the chosen columns live in the URL; the view
 * exports as CSV (every matching run, the columns shown).
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { CreateRunForm } from '../components/runs/CreateRunForm';
import { SelectionBar } from '../components/runs/SelectionBar';
import { SavedViews } from '../components/runs/SavedViews';
import { GroupsPanel } from '../components/runs/GroupsPanel';
import { SweepPanel } from '../components/runs/SweepPanel';
import { columnsParam, parseColumnsParam, runColumns } from '../components/runs/columns';
import { BodyRow, Chip, Chooser, ExperimentPicker, FilterForm, HeaderRow, Pointer, ROW_HEIGHT, Toolbar, VIEW_HEIGHT, Viewport } from '../components/runs/RunsTable.styles';
import { Button, Card, ErrorState, InlineError, PageTitle } from '../components/ui';
import { useLiveEvents } from '../hooks/useLiveEvents';
import { PAGE_SIZE, runsQueryOf, usePagedRuns } from '../hooks/usePagedRuns';
import { useApi } from '../hooks/useApi';
import { client } from '../apiClient';
import { RUN_STATUSES } from '../shared/contract/constants';
import { parseFilter } from '../shared/runs/filter';
import type { Run } from '../shared/contract/types';


export default function Runs() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const { status, filter, sort, experimentId } = runsQueryOf(params);
  const experiments = useApi(() => client.listExperiments(), []);
  /** What the filter box holds (the URL's `filter`); `filter` is that narrowed by the brushes. */
  const typedFilter = params.get('filter') ?? '';
  const brush = params.get('brush') ?? '';
  const [draft, setDraft] = useState(typedFilter);
  useEffect(() => setDraft(typedFilter), [typedFilter]); // a view chosen, back and forward: the box shows the filter in force
  const [filterError, setFilterError] = useState<{ message: string; pointer?: string } | null>(null);
  const [creating, setCreating] = useState(false);
  const [scrollTop, setScrollTop] = useState(0);
  const group = params.get('group') ?? '';
  const sweep = params.get('sweep') === '1';
  const chosen = params.has('columns') ? parseColumnsParam(params.get('columns') ?? '') : null;
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const lastPicked = useRef<number | null>(null);
  const viewport = useRef<HTMLDivElement>(null);

  const queryKey = JSON.stringify({ status, filter, sort, experimentId });

  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null || value === '') next.delete(key);
    else next.set(key, value);
    setParams(next);
  };

  const { total, rows: knownRows, empty, pages, loadError, first, last, reloadVisible, retry } = usePagedRuns(
    { status, experimentId, filter, sort },
    { scrollTop, rowHeight: ROW_HEIGHT, viewHeight: VIEW_HEIGHT },
    setFilterError,
  );

  // A new query starts from the top (not on mounting, where it is there already: setting scrollTop
  // forces a layout of the whole page before its first paint).
  const shownQuery = useRef(queryKey);
  useEffect(() => {
    if (shownQuery.current === queryKey) return;
    shownQuery.current = queryKey;
    setSelected(new Set()); // a selection belongs to the search it was made in
    lastPicked.current = null;
    setScrollTop(0);
    if (viewport.current) viewport.current.scrollTop = 0;
  }, [queryKey]);

  // Live: reload what is on screen when runs or experiments change anywhere.
  useLiveEvents(['run.created', 'run.updated', 'run.deleted', 'runs.updated', 'runs.deleted', 'metrics.logged', 'experiment.created', 'experiment.updated'], (event) => {
    if (event.type !== 'metrics.logged') experiments.reload(); // names, stages and run counts per experiment
    reloadVisible();
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

  const columns = runColumns(shown);
  const template = ['36px', ...columns.map((c) => c.width)].join(' ');
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
    setParam('columns', columnsParam(next) || ',');
  };

  /** The run at a row index, if its page has loaded. */
  const runAt = (i: number) => pages.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE];
  /** A checkbox click: toggles the row, or with shift the range from the last one picked (loaded rows). */
  const pick = (index: number, run: Run, shift: boolean) => {
    const next = new Set(selected);
    const on = !selected.has(run.id);
    if (shift && lastPicked.current !== null) {
      const [from, to] = [Math.min(lastPicked.current, index), Math.max(lastPicked.current, index)];
      for (let i = from; i <= to; i++) {
        const r = runAt(i);
        if (r && on) next.add(r.id);
        else if (r) next.delete(r.id);
      }
    } else if (on) next.add(run.id);
    else next.delete(run.id);
    lastPicked.current = index;
    setSelected(next);
  };
  const loadedIds = [...pages.values()].flat().map((r) => r.id);
  const selectedExperiment = experiments.data?.items.find((x) => x.id === experimentId);
  /** The view's part of the URL (what a saved view keeps): everything but the experiment, in a fixed order. */
  const viewQuery = new URLSearchParams(['filter', 'brush', 'sort', 'status', 'columns', 'group'].flatMap((k) => (params.get(k) ? [[k, params.get(k)!]] : []))).toString();
  const allLoadedSelected = loadedIds.length > 0 && loadedIds.every((id) => selected.has(id));
  const exportParams = { filter, sort, status, experimentId, columns: `id,name,status,experimentId,createdAt,${columnsParam(shown)}`.replace(/,$/, '') };

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
          {selectedExperiment && (
            <SavedViews
              experiment={selectedExperiment}
              query={viewQuery}
              onApply={(query) => setParams(new URLSearchParams([['experiment', selectedExperiment.id], ...new URLSearchParams(query)]))}
              onChanged={experiments.reload}
            />
          )}
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
          <span data-testid="runs-total">{total !== null ? `${total.toLocaleString('en-US')} run(s)` : knownRows > 0 ? `${(knownRows - 1).toLocaleString('en-US')}+ run(s), counting…` : '…'}</span>
          <a href={client.runsExportUrl(exportParams)} download>
            Export CSV
          </a>
          <Chip type="button" $active={sweep} aria-pressed={sweep} onClick={() => setParam('sweep', sweep ? null : '1')}>
            What matters
          </Chip>
        </Toolbar>
        {sweep && <SweepPanel metrics={known.metrics} filter={typedFilter} status={status} experimentId={experimentId} brush={brush} onBrush={(condition) => setParam('brush', condition)} />}
        {brush && (
          <p data-testid="brush-filter">
            <small>
              Brushed: <code>{brush}</code>
            </small>
          </p>
        )}
        <SelectionBar
          selected={selected}
          total={total}
          allLoadedSelected={allLoadedSelected}
          onSelect={setSelected}
          selectAllMatching={() => client.matchingRunIds({ filter, sort, status, experimentId })}
          onChanged={() => {
            reloadVisible();
            experiments.reload();
          }}
        />
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
          <ExperimentPicker>
            Group
            <select aria-label="Group runs" value={group} onChange={(e) => setParam('group', e.target.value)}>
              <option value="">no grouping</option>
              <option value="seed-free">runs that differ only in seed</option>
              {known.params.map((k) => (
                <option key={k} value={`params.${k}`}>
                  by {k}
                </option>
              ))}
              {group && group !== 'seed-free' && !known.params.some((k) => `params.${k}` === group) && <option value={group}>by {group}</option>}
            </select>
          </ExperimentPicker>
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
        {loadError && <ErrorState error={loadError} onRetry={retry} />}
        {group && <GroupsPanel by={group} filter={filter} status={status} experimentId={experimentId} />}
        {!group && empty && <p>{filter || status || experimentId ? 'No runs match.' : 'No runs yet. Create one here or with POST /api/modellab/runs.'}</p>}
        {!group && !empty && (
          <Viewport ref={viewport} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} data-testid="runs-table" role="table" aria-rowcount={total ?? -1}>
            <HeaderRow $columns={template} role="row" style={{ minWidth: 'max-content' }}>
              <div role="columnheader">
                <input
                  type="checkbox"
                  aria-label="Select the loaded runs"
                  checked={allLoadedSelected}
                  onChange={() => setSelected(allLoadedSelected ? new Set() : new Set([...selected, ...loadedIds]))}
                />
              </div>
              {columns.map((c) => (
                <div key={c.id} role="columnheader" aria-sort={sortField === c.sortField ? (sortDir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" onClick={() => toggleSort(c.sortField)} title={`Sort by ${c.sortField}`}>
                    {c.label}
                    {sortField === c.sortField ? (sortDir === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                </div>
              ))}
            </HeaderRow>
            <div style={{ height: knownRows * ROW_HEIGHT, position: 'relative', minWidth: 'max-content' }}>
              {rows.map(({ index, run }) => (
                <BodyRow
                  key={run.id}
                  $columns={template}
                  role="row"
                  aria-rowindex={index + 1}
                  style={{ top: index * ROW_HEIGHT, minWidth: '100%' }}
                  onClick={() => navigate(`/runs/${run.id}`)}
                  data-testid="run-row"
                  aria-selected={selected.has(run.id)}
                >
                  <div role="cell" onClick={(e) => e.stopPropagation()}>
                    <input type="checkbox" aria-label={`Select ${run.name}`} checked={selected.has(run.id)} onChange={() => undefined} onClick={(e) => pick(index, run, e.shiftKey)} />
                  </div>
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
