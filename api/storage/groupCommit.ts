/**
 * Group commit: items added while a flush is running wait and go together in the next one, so
 * many concurrent writers cost one write (and one fsync or one INSERT) per turn instead of one each.
 * Each `add` resolves when its item's flush succeeded and rejects with that flush's error.
 */
export class GroupCommit<T> {
  private waiting: { item: T; done: (error?: unknown) => void }[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly flush: (items: T[]) => Promise<void>) {}

  add(items: T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const added = items.map(
      (item) =>
        new Promise<void>((resolve, reject) => {
          this.waiting.push({ item, done: (error) => (error === undefined ? resolve() : reject(error)) });
        }),
    );
    this.running ??= this.drain();
    return Promise.all(added).then(() => undefined);
  }

  /** Resolves once everything added so far is flushed (or failed). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    await Promise.resolve(); // let the rest of this turn's writers join the first batch
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      let failure: unknown;
      try {
        await this.flush(batch.map((w) => w.item));
      } catch (error) {
        failure = error ?? new Error('flush failed');
      }
      for (const w of batch) w.done(failure);
    }
    this.running = null;
  }
}
