/** A run's latency profile: stored as evaluations/latency.json (earlier ones renamed latency-<timestamp>.json) and summarised in run.latency. Node only. */
import type { ArtifactFiles } from '../storage';
import { nowIso } from '../../src/shared/ids';
import type { LatencyResult } from '../../src/shared/latencyStats';
import type { Store } from '../storage';

export const LATENCY_FILE = 'latency.json';

export async function recordLatency(store: Store, artifacts: ArtifactFiles, runId: string, result: LatencyResult): Promise<LatencyResult & { measuredAt: string }> {
  await store.getRun(runId);
  // One at a time per run (with evaluations): two results must not archive the same latency.json.
  return artifacts.exclusive(runId, async () => {
    const measuredAt = nowIso();
    const previous = await artifacts.readJson<{ measuredAt?: string }>(runId, `evaluations/${LATENCY_FILE}`);
    const stamp = (previous?.measuredAt ?? measuredAt).replace(/[:.]/g, '-');
    const [archived] = previous ? await artifacts.freePath(runId, 'evaluations', (n) => [`latency-${stamp}${n === 0 ? '' : `-${n}`}.json`]) : [];
    const document = { ...result, measuredAt };
    await artifacts.replaceGenerated(runId, 'evaluations', [{ name: LATENCY_FILE, content: JSON.stringify(document, null, 1) }], archived ? () => [archived] : null);
    await store.updateRun(runId, (run) => ({
      ...run,
      latency: { p50: result.latency.p50, p95: result.latency.p95, p99: result.latency.p99, throughput: result.throughput, measuredAt },
      updatedAt: measuredAt,
    }));
    return document;
  });
}

/** The run's current latency profile (evaluations/latency.json), or null when it has none. */
export async function readLatency(store: Store, artifacts: ArtifactFiles, runId: string): Promise<Record<string, unknown> | null> {
  await store.getRun(runId);
  return artifacts.exclusive(runId, () => artifacts.readJson<Record<string, unknown>>(runId, `evaluations/${LATENCY_FILE}`));
}
