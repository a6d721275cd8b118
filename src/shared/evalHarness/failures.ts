/** Failure examples: misclassified (most confident first) or the largest regression errors. */
import type { Prepared } from './prepare';

/**
 * The first `k` of `candidates` in the order (key descending, index ascending), as sorting them all
 * would give — kept in a bounded heap instead: a full sort of the 57,000 misclassified examples of a
 * 200,000-example evaluation was 30–40 ms of its critical path (measured), for the 100 it keeps.
 */
export function topByKey(candidates: ArrayLike<number>, k: number, key: (i: number) => number): number[] {
  const before = (a: number, b: number) => key(a) > key(b) || (key(a) === key(b) && a < b);
  // A heap whose root is the last of those kept (the first to leave).
  const heap: number[] = [];
  const down = (at: number) => {
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let last = at;
      if (l < heap.length && before(heap[last]!, heap[l]!)) last = l;
      if (r < heap.length && before(heap[last]!, heap[r]!)) last = r;
      if (last === at) return;
      [heap[at], heap[last]] = [heap[last]!, heap[at]!];
      at = last;
    }
  };
  for (let c = 0; c < candidates.length && k > 0; c++) {
    const i = candidates[c]!;
    if (heap.length < k) {
      heap.push(i);
      for (let at = heap.length - 1; at > 0; ) {
        const parent = (at - 1) >> 1;
        if (!before(heap[parent]!, heap[at]!)) break;
        [heap[at], heap[parent]] = [heap[parent]!, heap[at]!];
        at = parent;
      }
    } else if (before(i, heap[0]!)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
}

export function failures(p: Prepared, data: Record<string, unknown>[] | undefined, max: number): { total: number; examples: Record<string, unknown>[] } {
  if (p.task === 'regression') {
    const error = (i: number) => Math.abs(p.yReg[i]! - p.yhatReg[i]!);
    const all = Int32Array.from({ length: p.n }, (_, i) => i);
    return {
      total: p.n,
      examples: topByKey(all, max, error).map((i) => ({ index: i, label: p.yReg[i], prediction: p.yhatReg[i], error: p.yhatReg[i]! - p.yReg[i]!, data: data?.[i] ?? null })),
    };
  }
  const wrong: number[] = [];
  for (let i = 0; i < p.n; i++) if (p.y[i] !== p.yhat[i]) wrong.push(i);
  const confidence = (i: number) => (p.proba ? p.proba[i * p.k + p.yhat[i]!]! : null);
  return {
    total: wrong.length,
    examples: topByKey(wrong, max, (i) => confidence(i) ?? 0).map((i) => ({ index: i, label: p.classes[p.y[i]!], prediction: p.classes[p.yhat[i]!], confidence: confidence(i), data: data?.[i] ?? null })),
  };
}
