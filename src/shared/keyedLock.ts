/**
 * One holder at a time per key (a run id), in arrival order; different keys never wait for each
 * other. Used for the per-run work that reads and replaces files together (evaluation documents,
 * latency results, artifact records), where two interleaved holders would rename each other's
 * files away. Not re-entrant: a holder must not ask for its own key again. Browser-safe.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous ? previous.then(() => done) : done;
    this.tails.set(key, tail);
    try {
      if (previous) await previous;
      return await work();
    } finally {
      release();
      // The last holder in line leaves no entry behind: the map holds only keys in use.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a holder or waiters now (for tests and health figures). */
  get size(): number {
    return this.tails.size;
  }
}
