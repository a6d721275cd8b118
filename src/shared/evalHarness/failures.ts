/** Failure examples: misclassified (most confident first) or the largest regression errors. */
import type { Prepared } from './prepare';

export function failures(p: Prepared, data: Record<string, unknown>[] | undefined, max: number): { total: number; examples: Record<string, unknown>[] } {
  if (p.task === 'regression') {
    const order = Array.from({ length: p.n }, (_, i) => i).sort((a, b) => Math.abs(p.yReg[b]! - p.yhatReg[b]!) - Math.abs(p.yReg[a]! - p.yhatReg[a]!) || a - b);
    return {
      total: p.n,
      examples: order.slice(0, max).map((i) => ({ index: i, label: p.yReg[i], prediction: p.yhatReg[i], error: p.yhatReg[i]! - p.yReg[i]!, data: data?.[i] ?? null })),
    };
  }
  const wrong: number[] = [];
  for (let i = 0; i < p.n; i++) if (p.y[i] !== p.yhat[i]) wrong.push(i);
  const confidence = (i: number) => (p.proba ? p.proba[i * p.k + p.yhat[i]!]! : null);
  wrong.sort((a, b) => (confidence(b) ?? 0) - (confidence(a) ?? 0) || a - b);
  return {
    total: wrong.length,
    examples: wrong.slice(0, max).map((i) => ({ index: i, label: p.classes[p.y[i]!], prediction: p.classes[p.yhat[i]!], confidence: confidence(i), data: data?.[i] ?? null })),
  };
}
