/** The typed API client: one function per endpoint. Pages never call fetch themselves. */
import { API_BASE } from '../shared/contract/constants';
import { AppError } from '../shared/errors';
import { EVENT_TYPES, type EventType } from '../shared/contract/events';
import type {
  ApiErrorBody,
  Artifact,
  CompareResponse,
  EvaluationResponse,
  CreateRunInput,
  Dataset,
  DatasetPreview,
  DatasetUploadResult,
  ExperimentSummary,
  Health,
  ListResponse,
  ListRunsParams,
  MetricSeriesResponse,
  MetricSummaryView,
  ProfileInput,
  Run,
  RunStatus,
  RunListResponse,
  Stats,
  StoredLatency,
  UpdateDatasetInput,
  UpdateRunInput,
} from '../shared/contract/types';

import type { GroupDifference, RunGroup } from '../shared/runs/groups';
import type { ImportanceItem } from '../shared/runs/importance';
import type { CurvesDocument } from '../shared/evalHarness';
import type { AuditEntry, Level, Me, PermissionObject, PermissionRecord, PermissionView, Role, TokenView, UserView } from '../shared/auth';
import type { CreateModelVersionInput, LoggedModelView, ModelVersionDiff, ModelVersionView, RegisteredModelView, UpdateModelVersionInput } from '../shared/contract/registry';

const TOKEN_KEY = 'modellab.apiToken';

export type BulkRunsRequest = { action: 'delete'; ids: string[] } | { action: 'tag'; ids: string[]; tags: Record<string, string> } | { action: 'status'; ids: string[]; status: RunStatus };
export interface ImportanceResponse {
  metric: string;
  n: number;
  model: string;
  items: ImportanceItem[];
  truncated: boolean;
}
export interface RunGroupsResponse {
  items: RunGroup[];
  total: number;
  runs: number;
  truncated: boolean;
}
export interface GroupComparison {
  a: { n: number; runIds: string[] };
  b: { n: number; runIds: string[] };
  differences: GroupDifference[];
  warning: string | null;
}

export interface RunsExportParams {
  filter?: string;
  sort?: string;
  status?: string;
  experimentId?: string;
  columns?: string;
}
const modelPath = (name: string) => `/models/${encodeURIComponent(name)}`;
const permissionBase = (object: PermissionObject, id: string) => (object === 'model' ? modelPath(id) : `/experiments/${encodeURIComponent(id)}`);

/** token mode: the API token the browser keeps (set on the Account page). */
export const apiToken = {
  get: (): string | null => (typeof localStorage === 'undefined' ? null : localStorage.getItem(TOKEN_KEY)),
  set(token: string | null): void {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  },
};

/** users mode: the signed-in session's CSRF token, which every write carries (the cookie goes by itself). */
let csrfToken: string | null = null;
/** Told when the server answers 401: the session ended (signed out elsewhere, expired). */
let onSignedOut: (() => void) | null = null;
export const session = {
  setCsrfToken(token: string | null): void {
    csrfToken = token;
  },
  onSignedOut(handler: (() => void) | null): void {
    onSignedOut = handler;
  },
};

function authHeader(): Record<string, string> {
  const token = apiToken.get();
  return { ...(token && { Authorization: `Bearer ${token}` }), ...(csrfToken && { 'X-CSRF-Token': csrfToken }) };
}

function query(params: object): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
}

/** The API's error answer (its error shape, or any other body) as an AppError. */
function errorOf(status: number, payload: unknown): AppError {
  const err = (payload as ApiErrorBody | null)?.error;
  return new AppError(status, err?.code ?? 'http_error', err?.message ?? `HTTP ${status}`, err?.details);
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
  if (response.status === 401 && path !== '/auth/login') onSignedOut?.();
  if (!response.ok) throw errorOf(response.status, payload);
  return payload as T;
}

export const client = {
  health: () => request<Health>('GET', '/health'),

  // ---- who is signed in (src/shared/auth)
  me: () => request<Me>('GET', '/auth/me'),
  login: (username: string, password: string) => request<Me>('POST', '/auth/login', { username, password }),
  logout: () => request<void>('POST', '/auth/logout'),
  listTokens: () => request<ListResponse<TokenView>>('GET', '/tokens'),
  createToken: (name: string, expiresAt: string | null) => request<TokenView & { token: string }>('POST', '/tokens', { name, expiresAt }),
  revokeToken: (id: string) => request<void>('DELETE', `/tokens/${encodeURIComponent(id)}`),

  // ---- users, permissions and the audit log (admins; an object's permissions: who manages it)
  listUsers: () => request<ListResponse<UserView>>('GET', '/users'),
  createUser: (name: string, password: string, role: Role) => request<UserView>('POST', '/users', { name, password, role }),
  updateUser: (name: string, change: { role?: Role; password?: string }) => request<UserView>('PUT', `/users/${encodeURIComponent(name)}`, change),
  deleteUser: (name: string) => request<void>('DELETE', `/users/${encodeURIComponent(name)}`),
  allPermissions: () => request<ListResponse<PermissionRecord>>('GET', '/permissions'),
  permissionsOf: (object: PermissionObject, id: string) => request<ListResponse<PermissionView>>('GET', `${permissionBase(object, id)}/permissions`),
  setPermission: (object: PermissionObject, id: string, user: string, level: Level) => request<PermissionView>('PUT', `${permissionBase(object, id)}/permissions`, { user, level }),
  removePermission: (object: PermissionObject, id: string, user: string) => request<void>('DELETE', `${permissionBase(object, id)}/permissions/${encodeURIComponent(user)}`),
  audit: (params: { user?: string; action?: string; limit?: number; offset?: number }) => request<ListResponse<AuditEntry>>('GET', `/audit${query(params)}`),

  stats: () => request<Stats>('GET', '/stats'),

  listExperiments: (lifecycle: 'active' | 'deleted' | 'all' = 'active') => request<ListResponse<ExperimentSummary>>('GET', `/experiments${query({ lifecycle, limit: 1000 })}`),
  createExperiment: (name: string) => request<ExperimentSummary>('POST', '/experiments', { name }),
  saveRunsView: (experimentId: string, name: string, query: string) => request<ExperimentSummary>('PUT', `/experiments/${encodeURIComponent(experimentId)}/views/${encodeURIComponent(name)}`, { query }),
  deleteRunsView: (experimentId: string, name: string) => request<void>('DELETE', `/experiments/${encodeURIComponent(experimentId)}/views/${encodeURIComponent(name)}`),
  searchRuns: (params: ListRunsParams = {}) => request<RunListResponse>('GET', `/runs${query(params)}`),
  getRun: (id: string) => request<Run>('GET', `/runs/${encodeURIComponent(id)}`),
  createRun: (input: CreateRunInput) => request<Run>('POST', '/runs', input),
  updateRun: (id: string, input: UpdateRunInput) => request<Run>('PUT', `/runs/${encodeURIComponent(id)}`, input),
  deleteRun: (id: string) => request<void>('DELETE', `/runs/${encodeURIComponent(id)}`),
  /** One change to many runs, all or nothing (POST /runs/bulk). */
  bulkRuns: (body: BulkRunsRequest) => request<{ action: BulkRunsRequest['action']; count: number; ids: string[] }>('POST', '/runs/bulk', body),
  /** Where the CSV of every run a search matches downloads from (GET /runs/export). */
  runsExportUrl: (params: RunsExportParams) => `${API_BASE}/runs/export${query(params)}`,
  /** The ids of every run a search matches, in its order (the export's id column: no run bodies). */
  matchingRunIds: async (params: Omit<RunsExportParams, 'columns'>): Promise<string[]> => (await client.runsColumns({ ...params, columns: 'id' })).map((row) => row[0]!),
  importance: (params: Omit<RunsExportParams, 'columns' | 'sort'> & { metric: string }) => request<ImportanceResponse>('GET', `/runs/importance${query(params)}`),
  /** Chosen columns of every matching run (the export, parsed): one row per run, cells as text ('' when missing). */
  runsColumns: async (params: RunsExportParams & { columns: string }): Promise<string[][]> => {
    const response = await fetch(client.runsExportUrl(params), { headers: authHeader() });
    if (!response.ok) throw errorOf(response.status, await response.json().catch(() => null));
    const { default: Papa } = await import('papaparse');
    return Papa.parse<string[]>((await response.text()).trim(), { skipEmptyLines: true }).data.slice(1);
  },
  runGroups: (params: Omit<RunsExportParams, 'columns' | 'sort'> & { by: string }) => request<RunGroupsResponse>('GET', `/runs/groups${query(params)}`),
  compareGroups: (a: string[], b: string[]) => request<GroupComparison>('GET', `/compare/groups${query({ a: a.join(','), b: b.join(',') })}`),
  metricCsvUrl: (id: string, key: string) => `${API_BASE}/runs/${encodeURIComponent(id)}/metrics/${encodeURIComponent(key)}?format=csv`,
  metricSummaries: (id: string) => request<{ items: MetricSummaryView[]; total: number }>('GET', `/runs/${encodeURIComponent(id)}/metrics`),
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

  uploadDataset: (
    file: File,
    fields: { name?: string; description?: string; tags?: string; expectedSchema?: string },
    onProgress?: (fraction: number) => void,
  ) => upload<DatasetUploadResult>('/datasets', file, fields, onProgress),

  listArtifacts: (runId: string) => request<{ items: Artifact[] }>('GET', `/artifacts/${encodeURIComponent(runId)}`),
  uploadArtifact: (runId: string, file: File, fields: { category?: string; path?: string }, onProgress?: (fraction: number) => void, overwrite = false) =>
    upload<Artifact>(`/artifacts/${encodeURIComponent(runId)}${overwrite ? '?overwrite=true' : ''}`, file, fields, onProgress),
  artifactUrl: (runId: string, path: string) => `${API_BASE}/artifacts/${encodeURIComponent(runId)}/download/${path.split('/').map(encodeURIComponent).join('/')}`,
  deleteArtifact: (runId: string, path: string) => request<void>('DELETE', client.artifactUrl(runId, path).slice(API_BASE.length)),
  compare: (runIds: string[]) => request<CompareResponse>('GET', `/compare${query({ runs: runIds.join(',') })}`),
  evaluate: (runId: string, body: unknown) => request<EvaluationResponse>('POST', `/runs/${encodeURIComponent(runId)}/evaluate`, body),
  reportUrl: (runId: string, format: 'html' | 'md') => `${API_BASE}/runs/${encodeURIComponent(runId)}/report?format=${format}`,
  /** The stored evaluation documents of a run, or null when it has not been evaluated. */
  evaluation: async (runId: string): Promise<(EvaluationResponse & { curves: CurvesDocument | null }) | null> => {
    const documents = await request<{ metrics: unknown; slices: unknown; failureExamples: unknown; curves: unknown }>('GET', `/runs/${encodeURIComponent(runId)}/evaluation`);
    return documents.metrics === null ? null : (documents as EvaluationResponse & { curves: CurvesDocument | null });
  },
  /** Profile an endpoint from the server (its host must be in MODELLAB_PROFILE_ALLOWED_HOSTS); answers when done. */
  profile: (runId: string, input: ProfileInput) => request<StoredLatency>('POST', `/runs/${encodeURIComponent(runId)}/profile`, input),
  /** The run's stored latency profile, or null when it has none. */
  latencyProfile: async (runId: string): Promise<StoredLatency | null> =>
    (await request<{ profile: StoredLatency | null }>('GET', `/runs/${encodeURIComponent(runId)}/latency`)).profile,

  // ---- model registry
  listModels: (params: { filter?: string; limit?: number; offset?: number } = {}) => request<ListResponse<RegisteredModelView>>('GET', `/models${query(params)}`),
  getModel: (name: string) => request<RegisteredModelView>('GET', modelPath(name)),
  createModel: (name: string, description = '') => request<RegisteredModelView>('POST', '/models', { name, description }),
  listModelVersions: (name: string, params: { filter?: string; limit?: number } = {}) =>
    request<ListResponse<ModelVersionView>>('GET', `${modelPath(name)}/versions${query({ limit: 1000, ...params })}`),
  registerVersion: (name: string, input: CreateModelVersionInput) => request<ModelVersionView>('POST', `${modelPath(name)}/versions`, input),
  updateVersion: (name: string, version: number, input: UpdateModelVersionInput) => request<ModelVersionView>('PATCH', `${modelPath(name)}/versions/${version}`, input),
  setAlias: (name: string, alias: string, version: number) => request<RegisteredModelView>('PUT', `${modelPath(name)}/aliases/${encodeURIComponent(alias)}`, { version }),
  deleteAlias: (name: string, alias: string) => request<void>('DELETE', `${modelPath(name)}/aliases/${encodeURIComponent(alias)}`),
  diffVersions: (name: string, a: number, b: number) => request<ModelVersionDiff>('GET', `${modelPath(name)}/diff${query({ a, b })}`),
  loggedModels: (params: { runId?: string; experimentId?: string; limit?: number } = {}) => request<ListResponse<LoggedModelView>>('GET', `/logged-models${query({ limit: 1000, ...params })}`),
  loggedModelFiles: (id: string) => request<{ items: Artifact[] }>('GET', `/logged-models/${encodeURIComponent(id)}/files`),
  loggedModelFileUrl: (id: string, path: string) => `${API_BASE}/logged-models/${encodeURIComponent(id)}/files/${path.split('/').map(encodeURIComponent).join('/')}`,

  /** The first `maxBytes` of an artifact as text (a Range request: a large file is not downloaded whole). */
  artifactText: async (runId: string, path: string, maxBytes = 100 * 1024) => {
    const response = await fetch(client.artifactUrl(runId, path), { headers: { Range: `bytes=0-${maxBytes - 1}` } });
    if (!response.ok) throw new AppError(response.status, 'http_error', `HTTP ${response.status}`);
    const total = Number(/\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1] ?? response.headers.get('content-length') ?? 0);
    return { text: await response.text(), truncated: total > maxBytes };
  },
};

/** Multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can). */
function upload<T>(path: string, file: File, fields: Record<string, string | undefined>, onProgress?: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
      const form = new FormData();
      for (const [key, value] of Object.entries(fields)) if (value) form.append(key, value);
      form.append('file', file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${API_BASE}${path}`);
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
        if (xhr.status >= 200 && xhr.status < 300) resolve(payload as T);
        else reject(errorOf(xhr.status, payload));
      };
      xhr.send(form);
  });
}

export type LiveEventType = EventType;
export interface LiveEvent {
  type: LiveEventType;
  data: Record<string, unknown>;
}

/** One EventSource for the whole page, shared by every subscriber; EventSource reconnects by itself. */
let source: EventSource | null = null;
const listeners = new Set<(event: LiveEvent) => void>();
const TYPES: readonly LiveEventType[] = EVENT_TYPES;

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
