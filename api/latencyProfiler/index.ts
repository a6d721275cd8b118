/**
 * profile(target, options): latency of an async function or an HTTP endpoint, with warmup,
 * concurrency, a request count or a duration, and an optional open-loop rate. Node only.
 *
 * - Timing uses the monotonic clock (performance.now(), microsecond resolution); percentiles come
 *   from an HDR histogram (hdr-histogram-js, 3 significant digits), so memory stays bounded however
 *   long the run; the display histogram uses fixed log-spaced buckets, also bounded.
 * - Open loop (rateRps): request k is due at t0 + k/rate and its latency is measured from that
 *   intended send time, so a stalled target shows up as latency instead of as fewer requests (the
 *   "coordinated omission" that wrk2 corrects).
 * - HTTP goes through lean keep-alive connections (httpConnection.ts), one per concurrent request.
 * - Errors (HTTP status ≥ 400, timeouts, connection errors, thrown exceptions) are timed and counted.
 */
import { build as buildHistogram } from 'hdr-histogram-js';
import { HttpConnection, type HttpRequestSpec, RequestFailure, serializeRequest } from './httpConnection';
import { CURVE_PERCENTILES, type LatencyResult } from '../../src/shared/latencyStats';

export type HttpTarget = HttpRequestSpec;

export type Target = (() => Promise<unknown>) | HttpTarget;

export interface ProfileOptions {
  warmup?: number;
  concurrency?: number;
  requests?: number;
  durationMs?: number;
  rateRps?: number;
  timeoutMs?: number;
  onProgress?: (progress: { done: number; errors: number; elapsedMs: number }) => void;
  /** Each measured latency in ms as it is recorded (warmup excluded), e.g. to keep the raw samples. */
  onSample?: (ms: number, failure: string | null) => void;
}

class TargetError extends Error {
  constructor(readonly kind: string) {
    super(kind);
  }
}

/** A function that sends one request and throws TargetError(kind) for a failure. */
function sender(target: Target, concurrency: number, timeoutMs: number): { send: () => Promise<void>; close: () => Promise<void> } {
  if (typeof target === 'function') {
    return {
      send: async () => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          await Promise.race([
            target(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new TargetError('timeout')), timeoutMs);
            }),
          ]);
        } catch (error) {
          throw error instanceof TargetError ? error : new TargetError(`error:${(error as Error)?.name ?? 'Error'}`);
        } finally {
          clearTimeout(timer);
        }
      },
      close: async () => {},
    };
  }
  // HTTP through a pool of lean keep-alive connections, one per concurrent request (see httpConnection.ts).
  const { bytes, url, method } = serializeRequest(target);
  const idle: HttpConnection[] = [];
  const inFlight = new Map<HttpConnection, number>();
  // Timeouts: one sweeper timer aborts requests older than timeoutMs (a timer per request cost a
  // third of the request rate).
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const [connection, started] of inFlight) if (now - started >= timeoutMs) connection.abort('timeout');
  }, Math.max(1, Math.min(100, timeoutMs / 4)));
  sweeper.unref();
  return {
    send: async () => {
      const connection = idle.pop() ?? new HttpConnection(url, bytes, method);
      inFlight.set(connection, performance.now());
      try {
        const status = await connection.request();
        if (status >= 400) throw new TargetError(`status:${status}`);
      } catch (error) {
        throw error instanceof TargetError ? error : new TargetError(error instanceof RequestFailure ? error.kind : 'error');
      } finally {
        inFlight.delete(connection);
        idle.push(connection);
      }
    },
    close: async () => {
      clearInterval(sweeper);
      for (const connection of idle) connection.close();
    },
  };
}

/** Log-spaced buckets from 1 µs to ~1 h (10 per decade), for a bounded display histogram. */
const BUCKETS_PER_DECADE = 10;
const bucketOf = (micros: number) => Math.max(0, Math.min(95, Math.floor(Math.log10(Math.max(1, micros)) * BUCKETS_PER_DECADE)));
const bucketStart = (b: number) => 10 ** (b / BUCKETS_PER_DECADE);

const sleepUntil = (t: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())));

export async function profile(target: Target, options: ProfileOptions = {}): Promise<LatencyResult> {
  const warmup = options.warmup ?? 20;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (options.requests === undefined && options.durationMs === undefined) throw new Error('give requests or durationMs');
  const { send, close } = sender(target, concurrency, timeoutMs);
  const histogram = buildHistogram({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const buckets = new Float64Array(96);
  const errorsByKind: Record<string, number> = {};
  let errors = 0;
  let done = 0;

  const onSample = options.onSample;
  const record = (micros: number, failure: string | null) => {
    onSample?.(micros / 1000, failure);
    const v = Math.max(1, Math.round(micros));
    histogram.recordValue(v);
    buckets[bucketOf(v)]!++;
    done++;
    if (failure) {
      errors++;
      errorsByKind[failure] = (errorsByKind[failure] ?? 0) + 1;
    }
  };
  const timed = async (from: number) => {
    try {
      await send();
      return { micros: (performance.now() - from) * 1000, failure: null };
    } catch (error) {
      return { micros: (performance.now() - from) * 1000, failure: error instanceof TargetError ? error.kind : 'error' };
    }
  };

  try {
    // Warmup: same concurrency, nothing recorded.
    let warm = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, Math.max(warmup, 0)) }, async () => {
        while (warm < warmup) {
          warm++;
          await timed(performance.now());
        }
      }),
    );

    const started = performance.now();
    const deadline = options.durationMs !== undefined ? started + options.durationMs : Infinity;
    const limit = options.requests ?? Infinity;
    const progress = setInterval(() => options.onProgress?.({ done, errors, elapsedMs: performance.now() - started }), 1000);
    try {
      if (options.rateRps) {
        // Open loop: dispatch on schedule; a request waiting for a free slot keeps its intended time.
        const interval = 1000 / options.rateRps;
        let inFlight = 0;
        const waiting: (() => void)[] = [];
        const pending: Promise<void>[] = [];
        for (let k = 0; k < limit; k++) {
          const due = started + k * interval;
          if (due >= deadline) break;
          await sleepUntil(due);
          while (inFlight >= concurrency) await new Promise<void>((r) => waiting.push(r));
          inFlight++;
          pending.push(
            timed(due).then(({ micros, failure }) => {
              record(micros, failure);
              inFlight--;
              waiting.shift()?.();
            }),
          );
        }
        await Promise.all(pending);
      } else {
        let sent = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (sent < limit && performance.now() < deadline) {
              sent++;
              const { micros, failure } = await timed(performance.now());
              record(micros, failure);
            }
          }),
        );
      }
    } finally {
      clearInterval(progress);
    }
    const durationMs = performance.now() - started;
    if (done === 0) throw new Error('no request was measured');
    const ms = (micros: number) => micros / 1000;
    const minB = buckets.findIndex((c) => c > 0);
    let maxB = buckets.length - 1;
    while (buckets[maxB] === 0) maxB--;
    const histogramBins = [];
    for (let b = minB; b <= maxB; b++) histogramBins.push({ fromMs: ms(bucketStart(b)), toMs: ms(bucketStart(b + 1)), count: buckets[b]! });
    return {
      count: done,
      errors,
      errorsByKind,
      throughput: done / (durationMs / 1000),
      durationMs,
      latency: {
        min: ms(histogram.minNonZeroValue),
        mean: ms(histogram.mean),
        stdDev: ms(histogram.stdDeviation),
        max: ms(histogram.maxValue),
        p50: ms(histogram.getValueAtPercentile(50)),
        p90: ms(histogram.getValueAtPercentile(90)),
        p95: ms(histogram.getValueAtPercentile(95)),
        p99: ms(histogram.getValueAtPercentile(99)),
        p999: ms(histogram.getValueAtPercentile(99.9)),
      },
      histogram: histogramBins,
      percentiles: CURVE_PERCENTILES.map((percentile) => ({ percentile, ms: ms(histogram.getValueAtPercentile(percentile)) })),
      config: {
        target: typeof target === 'function' ? 'function' : { url: target.url, method: target.method ?? 'GET' },
        warmup,
        concurrency,
        ...(options.requests !== undefined && { requests: options.requests }),
        ...(options.durationMs !== undefined && { durationMs: options.durationMs }),
        ...(options.rateRps !== undefined && { rateRps: options.rateRps }),
        timeoutMs,
      },
    };
  } finally {
    histogram.destroy();
    await close();
  }
}
