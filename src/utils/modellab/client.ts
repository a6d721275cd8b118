/** The typed API client: one function per endpoint. Pages never call fetch themselves. */
import { API_BASE } from './constants';
import { AppError } from './errors';
import type {
  ApiErrorBody,
  CreateRunInput,
  Dataset,
  DatasetPreview,
  DatasetUploadResult,
  Health,
  ListResponse,
  ListRunsParams,
  MetricSeriesResponse,
  MetricSummary,
  Run,
  Stats,
  UpdateDatasetInput,
  UpdateRunInput,
} from './types';

const TOKEN_KEY = 'modellab.apiToken';

function authHeader(): Record<string, string> {
  const token = typeof localStorage === 'undefined' ? null : localStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function query(params: object): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method,
      headers: { Accept: 'application/json', ...(body !== undefined && { 'Content-Type': 'application/json' }), ...authHeader() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new AppError(0, 'network_error', `Cannot reach the ModelLab server (${(error as Error).message})`);
  }
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const err = (payload as ApiErrorBody | null)?.error;
    throw new AppError(response.status, err?.code ?? 'http_error', err?.message ?? `HTTP ${response.status}`, err?.details);
  }
  return payload as T;
}

export const client = {
  health: () => request<Health>('GET', '/health'),
  stats: () => request<Stats>('GET', '/stats'),

  listRuns: (params: ListRunsParams = {}) => request<ListResponse<Run>>('GET', `/runs${query(params)}`),
  getRun: (id: string) => request<Run>('GET', `/runs/${encodeURIComponent(id)}`),
  createRun: (input: CreateRunInput) => request<Run>('POST', '/runs', input),
  updateRun: (id: string, input: UpdateRunInput) => request<Run>('PUT', `/runs/${encodeURIComponent(id)}`, input),
  deleteRun: (id: string) => request<void>('DELETE', `/runs/${encodeURIComponent(id)}`),
  metricSummaries: (id: string) => request<{ items: MetricSummary[]; total: number }>('GET', `/runs/${encodeURIComponent(id)}/metrics`),
  metricSeries: (id: string, key: string, maxPoints = 500) =>
    request<MetricSeriesResponse>('GET', `/runs/${encodeURIComponent(id)}/metrics/${encodeURIComponent(key)}${query({ maxPoints })}`),
  logMetrics: (id: string, metrics: { key: string; value: number; step?: number }[]) =>
    request<{ stored: number }>('POST', `/runs/${encodeURIComponent(id)}/metrics`, { metrics }),

  listDatasets: (params: { limit?: number; offset?: number; name?: string; latest?: boolean } = {}) =>
    request<ListResponse<Dataset>>('GET', `/datasets${query(params)}`),
  getDataset: (id: string) => request<Dataset>('GET', `/datasets/${encodeURIComponent(id)}`),
  previewDataset: (id: string, limit = 50) => request<DatasetPreview>('GET', `/datasets/${encodeURIComponent(id)}/preview${query({ limit })}`),
  updateDataset: (id: string, input: UpdateDatasetInput) => request<Dataset>('PUT', `/datasets/${encodeURIComponent(id)}`, input),
  deleteDataset: (id: string) => request<void>('DELETE', `/datasets/${encodeURIComponent(id)}`),
  datasetDownloadUrl: (id: string) => `${API_BASE}/datasets/${encodeURIComponent(id)}/download`,

  /** Multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can). */
  uploadDataset: (
    file: File,
    fields: { name?: string; description?: string; tags?: string; expectedSchema?: string },
    onProgress?: (fraction: number) => void,
  ) =>
    new Promise<DatasetUploadResult>((resolve, reject) => {
      const form = new FormData();
      for (const [key, value] of Object.entries(fields)) if (value) form.append(key, value);
      form.append('file', file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${API_BASE}/datasets`);
      for (const [key, value] of Object.entries(authHeader())) xhr.setRequestHeader(key, value);
      xhr.upload.onprogress = (event) => event.lengthComputable && onProgress?.(event.loaded / event.total);
      xhr.onerror = () => reject(new AppError(0, 'network_error', 'The upload failed: the server could not be reached'));
      xhr.onload = () => {
        let payload: unknown = null;
        try {
          payload = JSON.parse(xhr.responseText);
        } catch {
          /* not JSON */
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(payload as DatasetUploadResult);
        else {
          const err = (payload as ApiErrorBody | null)?.error;
          reject(new AppError(xhr.status, err?.code ?? 'http_error', err?.message ?? `HTTP ${xhr.status}`, err?.details));
        }
      };
      xhr.send(form);
    }),
};

export type LiveEventType = 'run.created' | 'run.updated' | 'run.deleted' | 'metrics.logged' | 'dataset.created' | 'dataset.updated' | 'dataset.deleted';
export interface LiveEvent {
  type: LiveEventType;
  data: Record<string, unknown>;
}

/** One EventSource for the whole page, shared by every subscriber; EventSource reconnects by itself. */
let source: EventSource | null = null;
const listeners = new Set<(event: LiveEvent) => void>();
const TYPES: LiveEventType[] = ['run.created', 'run.updated', 'run.deleted', 'metrics.logged', 'dataset.created', 'dataset.updated', 'dataset.deleted'];

export function subscribeEvents(listener: (event: LiveEvent) => void): () => void {
  listeners.add(listener);
  if (!source && typeof EventSource !== 'undefined') {
    source = new EventSource(`${API_BASE}/events`);
    for (const type of TYPES) {
      source.addEventListener(type, (e) => {
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse((e as MessageEvent<string>).data) as Record<string, unknown>;
        } catch {
          /* ignore a malformed event */
        }
        for (const l of listeners) l({ type, data });
      });
    }
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && source) {
      source.close();
      source = null;
    }
  };
}
