/**
 * The Runs table's data: pages of 100 runs of one query (status, experiment, filter, sort), loaded as
 * they scroll into view and cached; a new query starts over from the top; reloadVisible() refreshes
 * what is on screen (after a live event). Answers from an older query are dropped.
 *
 * Pages are asked for without the count of every match (count=false): on PostgreSQL a page of a
 * million runs takes milliseconds and the count seconds. The count is asked for once per query on
 * its own; until it comes, the table is as long as the rows known to exist (the pages loaded, plus
 * one when more follow), so scrolling to its end loads the next page.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { client } from '../apiClient';
import { RUN_STATUSES } from '../shared/contract/constants';
import type { Run, RunListResponse, RunStatus } from '../shared/contract/types';

export const PAGE_SIZE = 100;

export interface RunsQuery {
  status: RunStatus | undefined;
  experimentId: string | undefined;
  filter: string;
  sort: string;
}

/** The Runs page's query from its URL (?status=&filter=&sort=&experiment=). */
/** The typed filter narrowed by the parallel coordinates' brushes (the URL's `brush`), both in force. */
export const withBrush = (filter: string, brush: string): string => (filter.trim() && brush.trim() ? `(${filter}) AND (${brush})` : filter.trim() || brush.trim());

export function runsQueryOf(params: URLSearchParams): RunsQuery {
  const status = (RUN_STATUSES as readonly string[]).includes(params.get('status') ?? '') ? (params.get('status') as RunStatus) : undefined;
  const experimentId = /^\d+$/.test(params.get('experiment') ?? '') ? params.get('experiment')! : undefined;
  return { status, experimentId, filter: withBrush(params.get('filter') ?? '', params.get('brush') ?? ''), sort: params.get('sort') ?? 'createdAt:desc' };
}

type PageResult = RunListResponse;
const fetchPage = ({ status, experimentId, filter, sort }: RunsQuery, page: number): Promise<PageResult> =>
  client.searchRuns({ status, experimentId, filter: filter || undefined, sort, limit: PAGE_SIZE, offset: page * PAGE_SIZE, count: 'false' });
const fetchCount = async ({ status, experimentId, filter }: RunsQuery): Promise<number | null> =>
  (await client.searchRuns({ status, experimentId, filter: filter || undefined, limit: 0, offset: 0 })).total;

/** The rows a page shows to exist: those before it and in it, and one more when more follow. */
const reachOf = (page: number, result: PageResult) => page * PAGE_SIZE + result.items.length + (result.more ? 1 : 0);
/** The exact count when the page itself shows it (the last page), else null. */
const totalOf = (page: number, result: PageResult) => result.total ?? (result.more || (page > 0 && result.items.length === 0) ? null : page * PAGE_SIZE + result.items.length);

/**
 * The first page of the query the page opens with, asked for by the route's loader — while the
 * page's code is still loading, instead of after its first render (measured in Chromium: the request
 * then left ~300 ms after the navigation's start instead of ~630 ms). Taken once, by the page.
 */
let prefetched: { key: string; promise: Promise<PageResult>; value?: PageResult } | null = null;

export function prefetchFirstPage(query: RunsQuery): void {
  const entry: NonNullable<typeof prefetched> = { key: JSON.stringify(query), promise: fetchPage(query, 0) };
  entry.promise.then(
    (value) => (entry.value = value),
    () => undefined, // the page asks again and shows the error
  );
  prefetched = entry;
}

function takePrefetched(query: RunsQuery, peek = false): NonNullable<typeof prefetched> | null {
  const entry = prefetched?.key === JSON.stringify(query) ? prefetched : null;
  if (!peek) prefetched = null;
  return entry;
}

/** `first`..`last`: the rows around the viewport (from the scroll position and row height). */
export function usePagedRuns(
  { status, experimentId, filter, sort }: RunsQuery,
  view: { scrollTop: number; rowHeight: number; viewHeight: number },
  onFilterError: (error: { message: string; pointer?: string | undefined }) => void,
) {
  // A first page already here (prefetched by the route) is drawn in the first render.
  const ready = useRef(takePrefetched({ status, experimentId, filter, sort }, true)?.value);
  const [total, setTotal] = useState<number | null>(ready.current ? totalOf(0, ready.current) : null);
  const [reach, setReach] = useState<number>(ready.current ? reachOf(0, ready.current) : 0);
  const [pages, setPages] = useState<Map<number, Run[]>>(() => (ready.current ? new Map([[0, ready.current.items]]) : new Map()));
  const [loadError, setLoadError] = useState<Error | null>(null);
  const inFlight = useRef(new Set<number>());
  const generation = useRef(0);
  /**
   * The count of the query (of generation `gen`): asked for when a page shows more runs than it
   * holds, and again after a reload (`stale`) — one at a time (`inFlight`, whatever its generation)
   * and, after a count that took d milliseconds, not before `until` = its end + 5 × d (`timer` asks
   * then): on a store where counting takes seconds (PostgreSQL, a million runs), a sweep's stream of
   * live events does not keep the database counting.
   */
  const count = useRef({ gen: 0, stale: true, inFlight: false, until: 0, timer: 0 as ReturnType<typeof setTimeout> | 0 });
  const askCount = useCallback(
    (gen: number) => {
      const state = count.current;
      if (state.gen !== gen || !state.stale || state.inFlight) return;
      const wait = state.until - Date.now();
      if (wait > 0) {
        if (!state.timer) state.timer = setTimeout(() => ((count.current.timer = 0), askCount(generation.current)), wait);
        return;
      }
      Object.assign(state, { stale: false, inFlight: true });
      const started = Date.now();
      fetchCount({ status, experimentId, filter, sort })
        .then(
          (n) => gen === generation.current && n !== null && setTotal(n),
          () => undefined, // the table keeps the rows it knows
        )
        .finally(() => {
          Object.assign(count.current, { inFlight: false, until: Date.now() + 5 * (Date.now() - started) });
          // A reload while this one ran wants a fresh count.
          askCount(generation.current);
        });
    },
    [status, experimentId, filter, sort],
  );
  const reportFilterError = useRef(onFilterError);
  reportFilterError.current = onFilterError;

  const loadPage = useCallback(
    async (page: number, gen: number) => {
      if (inFlight.current.has(page)) return;
      inFlight.current.add(page);
      try {
        const early = page === 0 ? takePrefetched({ status, experimentId, filter, sort }) : null;
        const result = await (early?.promise ?? fetchPage({ status, experimentId, filter, sort }, page));
        if (gen !== generation.current) return;
        const exact = totalOf(page, result);
        if (exact !== null) setTotal(exact);
        else askCount(gen);
        setReach((prev) => Math.max(prev, reachOf(page, result)));
        setPages((prev) => new Map(prev).set(page, result.items));
        setLoadError(null);
      } catch (error) {
        if (gen !== generation.current) return;
        const e = error as Error & { code?: string; details?: { pointer?: string } };
        if (e.code === 'invalid_filter') reportFilterError.current({ message: e.message, pointer: e.details?.pointer });
        else setLoadError(e);
      } finally {
        inFlight.current.delete(page);
      }
    },
    [status, filter, sort, experimentId, askCount],
  );

  // A new query starts from the top with nothing cached (on mounting, unless the first page came with it).
  useEffect(() => {
    generation.current++;
    inFlight.current.clear();
    const gen = generation.current;
    // A new query counts at once (the pause is for recounting one query); a count in flight still holds the next.
    clearTimeout(count.current.timer);
    count.current = { gen, stale: true, inFlight: count.current.inFlight, until: 0, timer: 0 };
    if (ready.current) {
      if (totalOf(0, ready.current) === null) askCount(gen);
      ready.current = undefined;
      takePrefetched({ status, experimentId, filter, sort });
      return;
    }
    setPages(new Map());
    setTotal(null);
    setReach(0);
    void loadPage(0, gen);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- loadPage changes exactly when the query does
  }, [loadPage]);

  useEffect(() => () => clearTimeout(count.current.timer), []);

  /** The table's length: the count once known, else the rows known to exist. */
  const rows = total ?? reach;
  const first = Math.max(0, Math.floor(view.scrollTop / view.rowHeight) - 10);
  const last = Math.min(rows - 1, Math.ceil((view.scrollTop + view.viewHeight) / view.rowHeight) + 10);

  useEffect(() => {
    if (rows === 0) return;
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page++) {
      if (!pages.has(page)) void loadPage(page, generation.current);
    }
  }, [first, last, rows, pages, loadPage]);

  /** Reloads the pages on screen (the cache of the others is dropped). */
  const reloadVisible = () => {
    generation.current++;
    inFlight.current.clear();
    const gen = generation.current;
    Object.assign(count.current, { gen, stale: true });
    const visible = new Set<number>();
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(Math.max(first, last) / PAGE_SIZE); page++) visible.add(page);
    setPages(new Map());
    for (const page of visible) void loadPage(page, gen);
  };

  const retry = () => void loadPage(Math.floor(first / PAGE_SIZE), generation.current);

  /** Whether the query is known to match nothing. */
  const empty = total === 0;
  return { total, rows, empty, pages, loadError, first, last, reloadVisible, retry };
}
