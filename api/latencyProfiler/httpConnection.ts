/**
 * A lean keep-alive HTTP/1.1 client connection for the latency profiler. Node only.
 *
 * The request's bytes are built once and written as they are; the response is parsed just enough to
 * know its status and where it ends (Content-Length, chunked, or until close; none for HEAD, 1xx,
 * 204 and 304). One request at a time per connection, no pipelining. A general-purpose client
 * (undici's request() or dispatch()) spends enough per request that the profiler measured itself
 * instead of the target: this one keeps up with autocannon, which works the same way.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface HttpRequestSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A failure of one request: `status:<code>`, `timeout`, or `error:<code>`. */
export class RequestFailure extends Error {
  constructor(readonly kind: string) {
    super(kind);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

/** The request's bytes, once: request line, Host, the caller's headers, Content-Length, body. */
export function serializeRequest(spec: HttpRequestSpec): { bytes: Buffer; url: URL; method: string } {
  const url = new URL(spec.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
  const method = (spec.method ?? 'GET').toUpperCase();
  if (!TOKEN.test(method)) throw new Error(`invalid method '${method}'`);
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`];
  const given = new Set<string>();
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (!TOKEN.test(name)) throw new Error(`invalid header name '${name}'`);
    if (!HEADER_VALUE.test(value)) throw new Error(`invalid value for header '${name}'`);
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue; // ours to set
    given.add(lower);
    lines.push(`${name}: ${value}`);
  }
  if (!given.has('host')) lines.splice(1, 0, `Host: ${url.host}`);
  if (body !== undefined || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(method)) lines.push(`Content-Length: ${body?.length ?? 0}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return { bytes: body ? Buffer.concat([head, body]) : head, url, method };
}

type BodyMode = { kind: 'none' } | { kind: 'length'; remaining: number } | { kind: 'chunked' } | { kind: 'close' };

/**
 * Incremental parser of one response at a time. push() returns true once the response is complete;
 * bytes after the end are an error (no pipelining).
 */
export class ResponseParser {
  status = 0;
  closeAfter = false;
  private state: 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'trailers' | 'done' = 'head';
  private mode: BodyMode = { kind: 'none' };
  private pending: Buffer = Buffer.alloc(0);
  private chunkRemaining = 0;

  constructor(private readonly headRequest: boolean) {}

  get readsUntilClose(): boolean {
    return this.state === 'body' && this.mode.kind === 'close';
  }

  get started(): boolean {
    return this.state !== 'head' || this.pending.length > 0;
  }

  reset(): void {
    this.status = 0;
    this.closeAfter = false;
    this.state = 'head';
    this.mode = { kind: 'none' };
    this.pending = Buffer.alloc(0);
    this.chunkRemaining = 0;
  }

  push(chunk: Buffer): boolean {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    let at = 0;
    for (;;) {
      switch (this.state) {
        case 'head': {
          const end = buf.indexOf(HEAD_END, at);
          if (end < 0) {
            if (buf.length - at > MAX_HEAD_BYTES) throw new RequestFailure('error:response-head-too-large');
            this.pending = buf.subarray(at);
            return false;
          }
          this.parseHead(buf.toString('latin1', at, end));
          at = end + 4;
          continue;
        }
        case 'body': {
          if (this.mode.kind === 'length') {
            const take = Math.min(this.mode.remaining, buf.length - at);
            this.mode.remaining -= take;
            at += take;
            if (this.mode.remaining === 0) this.state = 'done';
            else return false;
            continue;
          }
          // until close: everything is body
          return false;
        }
        case 'chunk-size': {
          const end = buf.indexOf(CRLF, at);
          if (end < 0) {
            if (buf.length - at > 1024) throw new RequestFailure('error:bad-chunk');
            this.pending = buf.subarray(at);
            return false;
          }
          const size = Number.parseInt(buf.toString('latin1', at, end).split(';')[0]!.trim(), 16);
          if (!Number.isFinite(size) || size < 0) throw new RequestFailure('error:bad-chunk');
          at = end + 2;
          if (size === 0) this.state = 'trailers';
          else {
            this.chunkRemaining = size + 2; // the data and its CRLF
            this.state = 'chunk-data';
          }
          continue;
        }
        case 'chunk-data': {
          const take = Math.min(this.chunkRemaining, buf.length - at);
          this.chunkRemaining -= take;
          at += take;
          if (this.chunkRemaining > 0) return false;
          this.state = 'chunk-size';
          continue;
        }
        case 'trailers': {
          // Trailer lines end with an empty line.
          const end = buf.indexOf(CRLF, at);
          if (end < 0) {
            if (buf.length - at > MAX_HEAD_BYTES) throw new RequestFailure('error:bad-chunk');
            this.pending = buf.subarray(at);
            return false;
          }
          const empty = end === at;
          at = end + 2;
          if (empty) this.state = 'done';
          continue;
        }
        case 'done':
          if (at < buf.length) throw new RequestFailure('error:unexpected-response-bytes');
          return true;
      }
    }
  }

  /** The connection closed: completes a read-until-close body, else the response was cut short. */
  endOfStream(): boolean {
    if (this.readsUntilClose) {
      this.state = 'done';
      return true;
    }
    return false;
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (!statusLine) throw new RequestFailure('error:bad-status-line');
    const status = Number(statusLine[2]);
    let contentLength: number | null = null;
    let chunked = false;
    let connection = statusLine[1] === '0' ? 'close' : 'keep-alive';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new RequestFailure('error:bad-header');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d+$/.test(value)) throw new RequestFailure('error:bad-content-length');
        contentLength = Number(value);
      } else if (name === 'transfer-encoding') chunked = value.toLowerCase().split(',').some((v) => v.trim() === 'chunked');
      else if (name === 'connection') connection = value.toLowerCase();
    }
    if (status >= 100 && status < 200) return; // informational: the real head follows
    this.status = status;
    this.closeAfter = connection.split(',').some((v) => v.trim() === 'close');
    if (this.headRequest || status === 204 || status === 304) this.finishHead({ kind: 'none' });
    else if (chunked) {
      this.mode = { kind: 'chunked' };
      this.state = 'chunk-size';
    } else if (contentLength !== null) this.finishHead(contentLength === 0 ? { kind: 'none' } : { kind: 'length', remaining: contentLength });
    else {
      this.mode = { kind: 'close' };
      this.state = 'body';
      this.closeAfter = true;
    }
  }

  private finishHead(mode: BodyMode): void {
    this.mode = mode;
    this.state = mode.kind === 'none' ? 'done' : 'body';
  }
}

/** One keep-alive connection to the target; request() sends the prepared bytes and resolves with the status. */
export class HttpConnection {
  private socket: net.Socket | null = null;
  /** A response came back on this socket before: a close with no answer may be a stale keep-alive. */
  private servedBefore = false;
  private readonly parser: ResponseParser;
  private current: { resolve: (status: number) => void; reject: (error: RequestFailure) => void; retried: boolean } | null = null;

  constructor(
    private readonly url: URL,
    private readonly bytes: Buffer,
    method: string,
  ) {
    this.parser = new ResponseParser(method === 'HEAD');
  }

  request(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.current = { resolve, reject, retried: false };
      this.write();
    });
  }

  /** Fails the request in flight with `kind` and drops the connection (the next request reconnects). */
  abort(kind: string): void {
    const current = this.current;
    this.drop();
    if (current) {
      this.current = null;
      current.reject(new RequestFailure(kind));
    }
  }

  close(): void {
    this.drop();
  }

  private write(): void {
    this.parser.reset();
    if (!this.socket) this.connect();
    this.socket!.write(this.bytes);
  }

  private connect(): void {
    const port = Number(this.url.port || (this.url.protocol === 'https:' ? 443 : 80));
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const socket = this.url.protocol === 'https:' ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.servedBefore = false;
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      const current = this.current;
      if (!current) return; // bytes while idle: the server is closing; drop on close
      let complete: boolean;
      try {
        complete = this.parser.push(chunk);
      } catch (error) {
        this.abort(error instanceof RequestFailure ? error.kind : 'error:parse');
        return;
      }
      if (complete) this.finish();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => this.lost(socket, `error:${error.code ?? error.name}`));
    socket.on('close', () => this.lost(socket, 'error:connection-closed'));
  }

  private finish(): void {
    const current = this.current!;
    this.current = null;
    if (this.parser.closeAfter) this.drop();
    else this.servedBefore = true;
    current.resolve(this.parser.status);
  }

  private lost(socket: net.Socket, kind: string): void {
    if (socket !== this.socket) return;
    const current = this.current;
    const reused = this.servedBefore;
    this.socket = null;
    socket.destroy();
    if (!current) return;
    if (this.parser.endOfStream()) return this.finish();
    // A kept-alive connection the server closed just as we reused it: send once more on a new one,
    // as browsers and undici do for requests that never got a byte back.
    if (reused && !this.parser.started && !current.retried) {
      current.retried = true;
      this.write();
      return;
    }
    this.current = null;
    current.reject(new RequestFailure(kind));
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }
}
