/**
 * CPU time from /proc (Linux), to say where a load's time goes on the machine: a process's own
 * (user + system), and PostgreSQL's — its live processes plus what ended backends left to the
 * postmaster (children's times, counted once they are reaped). In milliseconds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime, stime, cutime, cstime of a process, in ms; zeros when it has ended. */
function timesOf(pid: number): [number, number, number, number] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the state (3rd) on
    return [11, 12, 13, 14].map((i) => Number(fields[i]) * TICK_MS) as [number, number, number, number];
  } catch {
    return [0, 0, 0, 0];
  }
}

/** CPU ms used so far by `pid` itself. */
export const cpuOf = (pid: number): number => timesOf(pid)[0] + timesOf(pid)[1];

/** CPU ms used so far by every process named `postgres` (backends and helpers), with the postmasters' reaped children. */
export function postgresCpu(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres') continue;
    const [user, system, childUser, childSystem] = timesOf(Number(entry));
    total += user + system + childUser + childSystem;
  }
  return total;
}

/** A sample of the CPU used by servers, PostgreSQL and this process, to subtract from a later one. */
export function cpuSample(serverPids: number[]): { servers: number; postgres: number; self: number } {
  const self = process.cpuUsage();
  return { servers: serverPids.reduce((sum, pid) => sum + cpuOf(pid), 0), postgres: postgresCpu(), self: (self.user + self.system) / 1000 };
}

/**
 * Where `n` operations' CPU went between two samples, per operation, and the most this machine's
 * cores could do at that cost (the whole machine busy with nothing else).
 */
export function cpuPerOperation(before: ReturnType<typeof cpuSample>, after: ReturnType<typeof cpuSample>, n: number): string {
  const per = (key: keyof typeof before) => (after[key] - before[key]) / n;
  const total = per('servers') + per('postgres') + per('self');
  const ceiling = (availableParallelism() * 1000) / total;
  return (
    `CPU per operation: ModelLab servers ${per('servers').toFixed(2)} ms, PostgreSQL ${per('postgres').toFixed(2)} ms, load generator ${per('self').toFixed(2)} ms; ` +
    `${availableParallelism()} cores at that cost: at most ${ceiling.toLocaleString('en-US', { maximumFractionDigits: 0 })}/s`
  );
}
