/** Memory of a server process from /proc (Linux): current and peak resident set, in MB. */
import { readFileSync } from 'node:fs';

export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Waits until the RSS stops growing (a fresh server starts worker threads in the background), then reads it. */
export async function settledMemoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  let last = memoryOf(pid).rss;
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const now = memoryOf(pid).rss;
    if (Math.abs(now - last) < 1) break;
    last = now;
  }
  return memoryOf(pid);
}
