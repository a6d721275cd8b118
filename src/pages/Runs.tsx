/**
 * Runs: server-side filtering (the filter language), sorting and paging, rendered as a virtualised
 * list so 10,000 runs scroll smoothly; pages of 100 rows load as they come into view.
 *
 * A workbench too (issue 19): rows are selected with their checkboxes (shift-click selects a range;
 * "select all matching" takes every run the search matches, fetched as ids), then compared, tagged,
 * moved to a status or deleted in one request each; the chosen columns — any field, parameter, tag,
 * or a metric's latest, smallest or largest value — live in the URL in the order shown (drag a
 * header, or move it in the chooser) with their widths (drag a header's edge); the view exports as
 * CSV (every matching run, the columns shown).
 */
import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent, type PointerEvent as ReactPointerEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { CreateRunForm } from '../components/runs/CreateRunForm';
import { SelectionBar } from '../components/runs/SelectionBar';
import { SavedViews } from '../components/runs/SavedViews';
import { GroupsPanel } from '../components/runs/GroupsPanel';
import { SweepPanel } from '../components/runs/SweepPanel';
import { BASE_COLUMNS, fieldRef, MAX_WIDTH, metricColumn, MIN_WIDTH, moved, parseColumnsParam, parseWidthsParam, placed, runColumns, widthsParam, type Column } from '../components/runs/columns';
import { BodyRow, Chip, Chooser, ExperimentPicker, FilterForm, HeaderCell, HeaderRow, Pointer, ResizeHandle, ROW_HEIGHT, Toolbar, VIEW_HEIGHT, Viewport } from '../components/runs/RunsTable.styles';
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
  const widths = useMemo(() => parseWidthsParam(params.get('widths') ?? ''), [params]);
  /** A width being dragged (committed to the URL when the pointer is let go). */
  const [resizing, setResizing] = useState<{ text: string; width: number } | null>(null);
  const dragged = useRef<string | null>(null);
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
  const shown = chosen ?? [...BASE_COLUMNS, ...known.metrics.slice(0, 3).map((k) => metricColumn(k, 'last'))];

  const columns = runColumns(shown, resizing ? new Map([...widths, [resizing.text, resizing.width]]) : widths);
  // The last track takes what is left, so the rows span the table however narrow the columns.
  const template = ['36px', ...columns.map((c) => `${c.width}px`), 'minmax(0, 1fr)'].join(' ');
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

  const setColumns = (texts: string[]) => setParam('columns', texts.join(','));
  const toggleColumn = (text: string) => setColumns(shown.includes(text) ? shown.filter((t) => t !== text) : [...shown, text]);
  const setWidth = (text: string, width: number) => {
    const next = new Map(widths).set(text, Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, width))));
    setParam('widths', widthsParam(next, shown));
  };
  /** Dragging a header's right edge: the width follows the pointer and is kept in the URL when let go. */
  const startResize = (event: ReactPointerEvent<HTMLElement>, column: Column) => {
    event.preventDefault();
    event.stopPropagation();
    const handle = event.currentTarget;
    const startX = event.clientX;
    let width = column.width;
    handle.setPointerCapture?.(event.pointerId);
    const move = (e: PointerEvent) => {
      width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, column.width + e.clientX - startX));
      setResizing({ text: column.text, width });
    };
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      handle.removeEventListener('pointercancel', up);
      setResizing(null);
      if (width !== column.width) setWidth(column.text, width);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
    handle.addEventListener('pointercancel', up);
  };
  const resizeByKey = (event: KeyboardEvent, column: Column) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    setWidth(column.text, column.width + (event.key === 'ArrowRight' ? 16 : -16));
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
  const viewQuery = new URLSearchParams(['filter', 'brush', 'sort', 'status', 'columns', 'widths', 'group'].flatMap((k) => (params.get(k) ? [[k, params.get(k)!]] : []))).toString();
  const allLoadedSelected = loadedIds.length > 0 && loadedIds.every((id) => selected.has(id));
  const exportParams = { filter, sort, status, experimentId, columns: ['id', ...columns.map((c) => c.text).filter((t) => t !== 'id')].join(',') };

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
              <strong>Shown, in order</strong>
              <ol aria-label="Columns shown">
                {columns.map((c, i) => (
                  <li key={c.text}>
                    <span>{c.label}</span>
                    <button type="button" aria-label={`Move ${c.label} left`} disabled={i === 0} onClick={() => setColumns(moved(shown, c.text, -1))}>
                      ◀
                    </button>
                    <button type="button" aria-label={`Move ${c.label} right`} disabled={i === columns.length - 1} onClick={() => setColumns(moved(shown, c.text, 1))}>
                      ▶
                    </button>
                    {c.text !== 'name' && (
                      <button type="button" aria-label={`Hide ${c.label}`} onClick={() => toggleColumn(c.text)}>
                        ✕
                      </button>
                    )}
                  </li>
                ))}
              </ol>
              {known.metrics.length > 0 && <strong>Metrics</strong>}
              {known.metrics.map((k) => (
                <fieldset key={`m${k}`} aria-label={`Metric ${k}`}>
                  <span>{k}</span>
                  {(['last', 'min', 'max'] as const).map((aggregate) => (
                    <label key={aggregate}>
                      <input type="checkbox" checked={shown.includes(metricColumn(k, aggregate))} onChange={() => toggleColumn(metricColumn(k, aggregate))} /> {aggregate}
                    </label>
                  ))}
                </fieldset>
              ))}
              {known.params.length > 0 && <strong>Parameters</strong>}
              {known.params.map((k) => (
                <label key={`p${k}`}>
                  <input type="checkbox" checked={shown.includes(fieldRef('params', k))} onChange={() => toggleColumn(fieldRef('params', k))} /> {k}
                </label>
              ))}
              <strong>Fields</strong>
              {BASE_COLUMNS.filter((b) => b !== 'name').map((b) => (
                <label key={b}>
                  <input type="checkbox" checked={shown.includes(b)} onChange={() => toggleColumn(b)} /> {b}
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
                <HeaderCell
                  key={c.text}
                  role="columnheader"
                  aria-sort={sortField === c.sortField ? (sortDir === 'asc' ? 'ascending' : 'descending') : 'none'}
                  data-column={c.text}
                  draggable
                  onDragStart={(e) => {
                    dragged.current = c.text;
                    e.dataTransfer.effectAllowed = 'move';
                    e.dataTransfer.setData('text/plain', c.text);
                  }}
                  onDragOver={(e) => {
                    if (dragged.current && dragged.current !== c.text) e.preventDefault();
                  }}
                  onDrop={(e) => {
                    e.preventDefault();
                    if (dragged.current) setColumns(placed(shown, dragged.current, c.text));
                    dragged.current = null;
                  }}
                  onDragEnd={() => (dragged.current = null)}
                >
                  <button type="button" onClick={() => toggleSort(c.sortField)} title={`Sort by ${c.sortField}`}>
                    {c.label}
                    {sortField === c.sortField ? (sortDir === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                  <ResizeHandle
                    role="separator"
                    aria-orientation="vertical"
                    aria-label={`Resize ${c.label}`}
                    aria-valuenow={c.width}
                    tabIndex={0}
                    onPointerDown={(e) => startResize(e, c)}
                    onKeyDown={(e) => resizeByKey(e, c)}
                    onClick={(e) => e.stopPropagation()}
                  />
                </HeaderCell>
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
                    <div key={c.text} role="cell">
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
