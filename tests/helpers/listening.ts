/** testApp() listening on a loopback port, for tests that need many requests in flight at once (fetch, not supertest). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testApp, type TestApp } from './app';

export interface Answer<T = any> {
  status: number;
  body: T;
  text: string;
}

export interface ListeningApp extends TestApp {
  url: string;
  /** A JSON request; the answer's body parsed when it is JSON. */
  call: <T = any>(method: string, path: string, body?: unknown) => Promise<Answer<T>>;
  /** A request with a body sent as it is (bad JSON, another content type). */
  send: <T = any>(method: string, path: string, text: string, contentType?: string) => Promise<Answer<T>>;
  /** A multipart upload of one file with extra fields. */
  upload: <T = any>(path: string, file: { name: string; content: string }, fields?: Record<string, string>) => Promise<Answer<T>>;
  close: () => Promise<void>;
}

/** A fetch response as an Answer: its status, its text, and its body parsed when it is JSON (else null). */
export async function answerOf<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: res.status, body: body as T, text };
}

export async function listeningApp(options: Parameters<typeof testApp>[0] = {}): Promise<ListeningApp> {
  const t = await testApp(options);
  const server: Server = createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...t,
    url,
    call: async (method, path, body) =>
      answerOf(await fetch(url + path, { method, ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) })),
    send: async (method, path, text, contentType = 'application/json') =>
      answerOf(await fetch(url + path, { method, body: text, headers: { 'content-type': contentType } })),
    upload: async (path, file, fields = {}) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('file', new Blob([file.content]), file.name);
      return answerOf(await fetch(url + path, { method: 'POST', body: form }));
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.cleanup();
    },
  };
}

/** Starts `n` calls at once and waits for all of them. */
export function concurrently<T>(n: number, call: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => call(i)));
}

/** Counts answers by status: {200: 1, 409: 15}. */
export function statusCounts(answers: { status: number }[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}
