/**
 * The `modellab` command (package.json bin → api/modellab.mjs). Subcommands:
 *
 *   modellab profile --url URL [-X METHOD] [--body TEXT|@file] [-H 'k: v']... [-c N] (-n N | -d 30s)
 *                    [--warmup N] [--rate RPS] [--timeout 10s] [--json]
 *                    [--run ID [--server URL] [--token T]]
 *
 * profile measures the endpoint from this machine (the library behind POST /runs/:id/profile),
 * prints a table and a text histogram, and with --run uploads the raw samples (plus the measured
 * duration and the failures by kind) to POST /api/modellab/runs/:id/latency, where the server
 * computes the same statistics exactly and stores them on the run.
 *
 *   modellab migrate --to postgres://… [--artifacts s3://bucket/prefix] [--data-dir DIR]
 *
 * migrate copies a JSON data folder into PostgreSQL (and its files into a bucket): api/migration.
 *
 *   modellab users add NAME --role admin|editor|viewer [--password-stdin] | modellab users list
 *
 * users adds a user for MODELLAB_AUTH=users (api/usersCommand.ts).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { profile, type HttpTarget, type ProfileOptions } from './latencyProfiler';
import { summarizeSamples, type LatencyResult } from '../src/shared/latencyStats';

export class UsageError extends Error {}

export const PROFILE_USAGE = `usage: modellab profile --url URL [-X METHOD] [--body TEXT|@file] [-H 'name: value']...
                        [-c CONCURRENCY] (-n REQUESTS | -d DURATION) [--warmup N] [--rate RPS]
                        [--timeout DURATION] [--json] [--run RUN_ID [--server URL] [--token TOKEN]]

  --url URL            the endpoint to measure (http or https)
  -X, --method METHOD  HTTP method (default GET, or POST when --body is given)
  --body TEXT|@file    request body, literally or from a file
  -H, --header 'k: v'  a request header (repeatable)
  -c, --concurrency N  requests in flight at once (default 1)
  -n, --requests N     measure N requests, or
  -d, --duration D     measure for D (30s, 500ms, 2m; a bare number is seconds)
  --warmup N           requests run first and left out (default 20)
  --rate RPS           open loop: send at a fixed rate, latency from the intended send time
  --timeout D          a request taking longer counts as a timeout (default 10s)
  --json               print the result as JSON instead of the table
  --run RUN_ID         upload the samples to this ModelLab run
  --server URL         ModelLab server (default $MODELLAB_SERVER or http://127.0.0.1:3000)
  --token TOKEN        API token (default $MODELLAB_API_TOKEN)`;

export interface ProfileCommand {
  target: HttpTarget;
  options: ProfileOptions & { warmup: number; concurrency: number };
  json: boolean;
  upload: { runId: string; server: string; token: string | undefined } | null;
}

/** "30s", "500ms", "2m", "1h" or a bare number of seconds → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag}: '${text}' is not a duration (e.g. 30s, 500ms, 2m)`);
  const ms = Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  if (ms <= 0) throw new UsageError(`${flag}: must be more than zero`);
  return ms;
}

function positiveInt(text: string | undefined, flag: string, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: '${text}' is not a whole number from ${min} to ${max}`);
  return n;
}

export function parseProfileArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): ProfileCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        method: { type: 'string', short: 'X' },
        body: { type: 'string' },
        header: { type: 'string', short: 'H', multiple: true },
        concurrency: { type: 'string', short: 'c' },
        requests: { type: 'string', short: 'n' },
        duration: { type: 'string', short: 'd' },
        warmup: { type: 'string' },
        rate: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        run: { type: 'string' },
        server: { type: 'string' },
        token: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (!v.url) throw new UsageError('--url is required');
  let url: URL;
  try {
    url = new URL(v.url);
  } catch {
    throw new UsageError(`--url: '${v.url}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url: must be http or https');
  if ((v.requests === undefined) === (v.duration === undefined)) throw new UsageError('give exactly one of -n/--requests or -d/--duration');

  const headers: Record<string, string> = {};
  for (const header of v.header ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new UsageError(`-H: '${header}' is not 'name: value'`);
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  let body: string | undefined;
  if (v.body !== undefined) {
    if (v.body.startsWith('@')) {
      try {
        body = readFile(v.body.slice(1));
      } catch (error) {
        throw new UsageError(`--body: cannot read ${v.body.slice(1)}: ${(error as Error).message}`);
      }
    } else body = v.body;
  }
  const method = (v.method ?? (body !== undefined ? 'POST' : 'GET')).toUpperCase();
  const requests = positiveInt(v.requests, '-n/--requests');
  const rate = v.rate === undefined ? undefined : Number(v.rate);
  if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) throw new UsageError(`--rate: '${v.rate}' is not a positive number`);
  if ((v.server !== undefined || v.token !== undefined) && v.run === undefined) throw new UsageError('--server and --token go with --run');

  return {
    target: { url: url.href, method, ...(Object.keys(headers).length && { headers }), ...(body !== undefined && { body }) },
    options: {
      warmup: positiveInt(v.warmup, '--warmup', { min: 0 }) ?? 20,
      concurrency: positiveInt(v.concurrency, '-c/--concurrency', { max: 1024 }) ?? 1,
      ...(requests !== undefined && { requests }),
      ...(v.duration !== undefined && { durationMs: parseDuration(v.duration, '-d/--duration') }),
      ...(rate !== undefined && { rateRps: rate }),
      ...(v.timeout !== undefined && { timeoutMs: parseDuration(v.timeout, '--timeout') }),
    },
    json: v.json ?? false,
    upload: v.run ? { runId: v.run, server: (v.server ?? env.MODELLAB_SERVER ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''), token: v.token ?? env.MODELLAB_API_TOKEN } : null,
  };
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(1) : ms >= 10 ? ms.toFixed(2) : ms.toFixed(3));

/** The table and the text histogram the CLI prints. */
export function renderProfile(result: LatencyResult, target: HttpTarget): string {
  const l = result.latency;
  const lines = [
    `${target.method ?? 'GET'} ${target.url}`,
    `requests    ${result.count} measured, ${result.errors} failed${result.errors ? ` (${Object.entries(result.errorsByKind).map(([k, n]) => `${k} ×${n}`).join(', ')})` : ''}`,
    `throughput  ${result.throughput === null ? '—' : `${result.throughput.toFixed(1)} req/s`}${result.durationMs === null ? '' : ` over ${(result.durationMs / 1000).toFixed(3)} s`}`,
    '',
  ];
  const columns: [string, number][] = [['min', l.min], ['mean', l.mean], ['stdDev', l.stdDev], ['p50', l.p50], ['p90', l.p90], ['p95', l.p95], ['p99', l.p99], ['p99.9', l.p999], ['max', l.max]];
  const cells = columns.map(([name, value]) => [name, fmt(value)] as const);
  const widths = cells.map(([name, value]) => Math.max(name.length, value.length));
  lines.push(`latency ms  ${cells.map(([name], i) => name.padStart(widths[i]!)).join('  ')}`);
  lines.push(`            ${cells.map(([, value], i) => value.padStart(widths[i]!)).join('  ')}`);
  lines.push('', 'histogram');
  const bins = result.histogram;
  const most = Math.max(...bins.map((b) => b.count));
  const labels = bins.map((b) => `${fmt(b.fromMs)} – ${fmt(b.toMs)} ms`);
  const labelWidth = Math.max(...labels.map((s) => s.length));
  const countWidth = String(most).length;
  bins.forEach((bin, i) => {
    const bar = '█'.repeat(Math.round((bin.count / most) * 40)) || (bin.count ? '▏' : '');
    lines.push(`  ${labels[i]!.padStart(labelWidth)} │ ${String(bin.count).padStart(countWidth)} ${bar}`);
  });
  return lines.join('\n');
}

/** Upload the samples to POST /runs/:id/latency; returns the stored result. */
async function upload(command: ProfileCommand, samplesMs: number[], result: LatencyResult): Promise<LatencyResult & { measuredAt: string }> {
  const { runId, server, token } = command.upload!;
  const res = await fetch(`${server}/api/modellab/runs/${encodeURIComponent(runId)}/latency`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({
      samplesMs: samplesMs.map((ms) => Math.round(ms * 1000) / 1000),
      durationMs: result.durationMs,
      errorsByKind: result.errorsByKind,
      config: { tool: 'modellab profile', ...result.config },
    }),
  }).catch((error: Error) => {
    throw new Error(`cannot reach ${server}: ${(error.cause as Error | undefined)?.message ?? error.message}`);
  });
  const answer = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!res.ok) throw new Error(`the server refused the upload (HTTP ${res.status}): ${answer?.error?.message ?? 'no message'}`);
  return answer as LatencyResult & { measuredAt: string };
}

export async function runProfile(command: ProfileCommand, out: (text: string) => void): Promise<void> {
  const samples: number[] = [];
  const keep = command.upload !== null;
  const measured = await profile(command.target, { ...command.options, ...(keep && { onSample: (ms) => samples.push(ms) }) });
  // With samples at hand, print what the server will store: percentiles interpolated exactly.
  const result = keep ? { ...summarizeSamples(samples, measured.config, { durationMs: measured.durationMs!, errorsByKind: measured.errorsByKind }), histogram: measured.histogram } : measured;
  if (!command.json) out(renderProfile(result, command.target));
  if (command.upload) {
    const stored = await upload(command, samples, measured);
    if (command.json) out(JSON.stringify(stored, null, 2));
    else out(`\nuploaded to run ${command.upload.runId} (p50 ${fmt(stored.latency.p50)} ms, p95 ${fmt(stored.latency.p95)} ms, p99 ${fmt(stored.latency.p99)} ms)`);
  } else if (command.json) out(JSON.stringify(result, null, 2));
}

const USAGE = `usage: modellab <command> [options]

commands:
  profile   measure an inference endpoint's latency (modellab profile --help)
  migrate   copy a data folder into PostgreSQL and a bucket (modellab migrate --help)
  users     add or list users for MODELLAB_AUTH=users (modellab users --help)`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'users') {
    const { usersCommand } = await import('./usersCommand');
    return usersCommand(rest);
  }
  if (command === 'migrate') {
    const { migrateCommand } = await import('./migration/command');
    return migrateCommand(rest);
  }
  if (command !== 'profile') {
    console.error(`modellab: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(PROFILE_USAGE);
    return 0;
  }
  let parsed: ProfileCommand;
  try {
    parsed = parseProfileArgs(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`modellab profile: ${error.message}\n\n${PROFILE_USAGE}`);
      return 2;
    }
    throw error;
  }
  try {
    await runProfile(parsed, (text) => console.log(text));
    return 0;
  } catch (error) {
    console.error(`modellab profile: ${(error as Error).message}`);
    return 1;
  }
}
