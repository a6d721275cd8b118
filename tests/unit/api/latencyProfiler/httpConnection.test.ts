/** The profiler's lean HTTP/1.1 connection: request bytes, response framing, keep-alive and its failures. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpConnection, RequestFailure, ResponseParser, serializeRequest } from '../../../../api/latencyProfiler/httpConnection';

/** Feeds a response in pieces of `step` bytes; returns the byte count at which the parser said complete. */
function completesAt(response: string, step: number, head = false): number | null {
  const parser = new ResponseParser(head);
  const bytes = Buffer.from(response, 'latin1');
  for (let at = 0; at < bytes.length; at += step) {
    if (parser.push(bytes.subarray(at, Math.min(bytes.length, at + step)))) return Math.min(bytes.length, at + step);
  }
  return null;
}

describe('ResponseParser', () => {
  const cases: [string, string, boolean?][] = [
    ['content-length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'],
    ['chunked with extensions and trailers', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n'],
    ['chunked, empty', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['no body for 204', 'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n'],
    ['no body for 304', 'HTTP/1.1 304 Not Modified\r\n\r\n'],
    ['a 100 Continue first', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'],
    ['HEAD ignores Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', true],
    ['zero length', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
  ];
  for (const [name, response, head] of cases) {
    it(`finds the end of the response exactly (${name}), however the bytes arrive`, () => {
      for (const step of [1, 2, 3, 7, response.length]) expect(completesAt(response, step, head), `step ${step}`).toBe(response.length);
    });
  }

  it('reads the status, and whether the server closes afterwards', () => {
    const parser = new ResponseParser(false);
    expect(parser.push(Buffer.from('HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'))).toBe(true);
    expect([parser.status, parser.closeAfter]).toEqual([503, true]);
    parser.reset();
    expect(parser.push(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'))).toBe(true);
    expect(parser.closeAfter).toBe(true); // HTTP/1.0 without keep-alive
  });

  it('reads a body without length until the connection closes', () => {
    const parser = new ResponseParser(false);
    expect(parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome bytes'))).toBe(false);
    expect(parser.push(Buffer.from('more'))).toBe(false);
    expect(parser.endOfStream()).toBe(true);
  });

  it('rejects malformed responses with a named kind', () => {
    const kind = (response: string) => {
      try {
        new ResponseParser(false).push(Buffer.from(response));
        return null;
      } catch (error) {
        return (error as RequestFailure).kind;
      }
    };
    expect(kind('SSH-2.0-OpenSSH\r\n\r\n')).toBe('error:bad-status-line');
    expect(kind('HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n')).toBe('error:bad-content-length');
    expect(kind('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab')).toBe('error:unexpected-response-bytes');
    expect(kind('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')).toBe('error:bad-chunk');
    expect(kind(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70 * 1024)}`)).toBe('error:response-head-too-large');
  });
});

describe('serializeRequest', () => {
  it('writes the request line, Host, the headers and a Content-Length for the body', () => {
    const { bytes } = serializeRequest({ url: 'http://127.0.0.1:8000/predict?v=2', method: 'post', headers: { 'Content-Type': 'application/json', 'Content-Length': '999' }, body: '{"x":"é"}' });
    expect(bytes.toString('utf8')).toBe('POST /predict?v=2 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"x":"é"}');
    expect(serializeRequest({ url: 'http://h/' }).bytes.toString()).toBe('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  });

  it('refuses header names and values that would split the request', () => {
    expect(() => serializeRequest({ url: 'http://h/', headers: { 'X-A': 'v\r\nInjected: 1' } })).toThrow(/invalid value for header 'X-A'/);
    expect(() => serializeRequest({ url: 'http://h/', headers: { 'X A': 'v' } })).toThrow(/invalid header name/);
    expect(() => serializeRequest({ url: 'http://h/', method: 'GET /evil' })).toThrow(/invalid method/);
    expect(() => serializeRequest({ url: 'ftp://h/' })).toThrow(/unsupported protocol/);
  });
});

describe('HttpConnection against real servers', () => {
  let server: http.Server;
  let base = '';
  const sockets = new Set<net.Socket>();
  let connections = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/chunked') {
        res.write('a'.repeat(10_000));
        setTimeout(() => res.end('b'.repeat(70_000)), 5);
      } else if (req.url === '/close') {
        res.setHeader('Connection', 'close');
        res.end('bye');
      } else if (req.url === '/hang') {
        // never answers
      } else {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => res.end(`${req.method} ${body.length}`));
      }
    });
    server.on('connection', (socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const connection = (path: string, method = 'GET', body?: string) => {
    const { bytes, url, method: m } = serializeRequest({ url: `${base}${path}`, method, ...(body !== undefined && { body }) });
    return new HttpConnection(url, bytes, m);
  };

  it('keeps one connection alive across requests, with bodies and chunked answers', async () => {
    const before = connections;
    const post = connection('/echo', 'POST', 'x'.repeat(100_000));
    for (let i = 0; i < 20; i++) expect(await post.request()).toBe(200);
    const chunked = connection('/chunked');
    for (let i = 0; i < 5; i++) expect(await chunked.request()).toBe(200);
    expect(connections - before).toBe(2);
    post.close();
    chunked.close();
  });

  it('reconnects after the server says Connection: close', async () => {
    const before = connections;
    const c = connection('/close');
    for (let i = 0; i < 3; i++) expect(await c.request()).toBe(200);
    expect(connections - before).toBe(3);
    c.close();
  });

  it('sends again on a new connection when the server dropped the idle keep-alive one', async () => {
    const c = connection('/echo');
    expect(await c.request()).toBe(200);
    for (const socket of sockets) socket.destroy(); // the server closes idle connections
    await new Promise((r) => setTimeout(r, 20));
    expect(await c.request()).toBe(200);
    c.close();
  });

  it('fails with a timeout when aborted, and the next request works on a new connection', async () => {
    const hang = connection('/hang');
    const pending = hang.request();
    setTimeout(() => hang.abort('timeout'), 30);
    await expect(pending).rejects.toMatchObject({ kind: 'timeout' });
    hang.close();
  });

  it('names a refused connection', async () => {
    const spare = net.createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', () => r()));
    const port = (spare.address() as AddressInfo).port;
    await new Promise<void>((r) => spare.close(() => r()));
    const { bytes, url, method } = serializeRequest({ url: `http://127.0.0.1:${port}/` });
    await expect(new HttpConnection(url, bytes, method).request()).rejects.toMatchObject({ kind: 'error:ECONNREFUSED' });
  });

  it('fails a response cut short by the server', async () => {
    const raw = net.createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this')));
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
    const { bytes, url, method } = serializeRequest({ url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}/` });
    await expect(new HttpConnection(url, bytes, method).request()).rejects.toMatchObject({ kind: 'error:connection-closed' });
    raw.close();
  });
});

describe('HttpConnection over HTTPS', () => {
  it('speaks TLS and verifies the certificate: a self-signed one fails with a named kind', async () => {
    const dir = path.resolve(__dirname, '../../../fixtures/tls');
    const server = https.createServer({ key: readFileSync(path.join(dir, 'localhost-key.pem')), cert: readFileSync(path.join(dir, 'localhost-cert.pem')) }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    let connections = 0;
    server.on('connection', () => connections++);
    const { bytes, url, method } = serializeRequest({ url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/` });
    await expect(new HttpConnection(url, bytes, method).request()).rejects.toMatchObject({ kind: 'error:DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(connections).toBe(1); // the certificate was checked on a real connection to the server
    server.close();
  });
});
