/** Slices: each value of a categorical attribute, quartile bins of a numeric one. */
import { isNumber, type Prepared } from './prepare';
import { percentile } from './resampling';
import type { SliceIndex } from './binaryPass';

/** An attribute's value for every example: read from the data rows, or given as columns (see Evaluation). */
export type AttributeValues = (attribute: string) => unknown[];

export function slicesOf(p: Prepared, valuesOf: AttributeValues | null, attributes: string[]): { attribute: string; value: string; members: Float64Array; count: number }[] {
  if (!valuesOf || attributes.length === 0) return [];
  const out: { attribute: string; value: string; members: Float64Array; count: number }[] = [];
  for (const attribute of attributes) {
    const values = valuesOf(attribute);
    const numeric = values.filter(isNumber);
    const distinct = new Set<string>();
    for (const v of values) distinct.add(String(v));
    if (numeric.length === values.length && distinct.size > 10) {
      const sorted = Float64Array.from(numeric).sort();
      const edges = [sorted[0]!, percentile(sorted, 25)!, percentile(sorted, 50)!, percentile(sorted, 75)!, sorted.at(-1)!];
      const fmt = (v: number) => Number(v.toPrecision(6)).toString();
      for (let b = 0; b < 4; b++) {
        const lo = edges[b]!;
        const hi = edges[b + 1]!;
        if (b > 0 && lo === edges[b - 1] && hi === lo) continue;
        const last = b === 3;
        const members = Float64Array.from(values as number[], (v) => (v >= lo && (last ? v <= hi : v < hi) ? 1 : 0));
        const count = members.reduce((s, m) => s + m, 0);
        if (count > 0) out.push({ attribute, value: `[${fmt(lo)}, ${fmt(hi)}${last ? ']' : ')'}`, members, count });
      }
    } else {
      // One pass: each example's value text, then one membership array per value.
      const texts = values.map((v) => String(v));
      const order = [...distinct].sort();
      const slot = new Map(order.map((value, s) => [value, s]));
      const members = order.map(() => new Float64Array(values.length));
      const counts = new Array<number>(order.length).fill(0);
      for (let i = 0; i < texts.length; i++) {
        const s = slot.get(texts[i]!)!;
        members[s]![i] = 1;
        counts[s]!++;
      }
      order.forEach((value, s) => out.push({ attribute, value, members: members[s]!, count: counts[s]! }));
    }
  }
  return out;
}

/** Each example's slice number per attribute (-1: in none of that attribute's slices), for the single-pass bootstrap. */
export function sliceIndexOf(slices: { attribute: string; members: Float64Array }[], n: number): SliceIndex {
  const byName = new Map<string, Int32Array>();
  slices.forEach((slice, s) => {
    let index = byName.get(slice.attribute);
    if (!index) {
      index = new Int32Array(n).fill(-1);
      byName.set(slice.attribute, index);
    }
    for (let i = 0; i < n; i++) if (slice.members[i]! > 0) index[i] = s;
  });
  return { count: slices.length, byAttribute: [...byName.values()] };
}
