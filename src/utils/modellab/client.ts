/** The typed API client: one function per endpoint. Pages never call fetch themselves. */
import { API_BASE } from './constants';
import { AppError } from './errors';
import type {
  ApiErrorBody,
  CreateRunInput,
  Dataset,
  Health,
  ListResponse,
  ListRunsParams,
  Run,
  Stats,
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

  listDatasets: (params: { limit?: number; offset?: number } = {}) =>
    request<ListResponse<Dataset>>('GET', `/datasets${query(params)}`),
  getDataset: (id: string) => request<Dataset>('GET', `/datasets/${encodeURIComponent(id)}`),
};
