/** An evaluation input survives packing for a worker thread: every column as it was, data rows reduced to the slice attributes. */
import { describe, expect, it } from 'vitest';
import { packInput, unpackInput } from '../../../../api/workers/evalTransfer';
import type { EvalInput } from '../../../../src/shared/evalHarness';

const config = { taskType: 'classification', classes: ['a', 'b'], sliceAttributes: ['s', 'n', 'x'] } as EvalInput['config'];

describe('packInput / unpackInput', () => {
  it('round-trips numbers, strings, mixed values, probability rows and odd rows', () => {
    const input = {
      labels: ['a', 'b', 1, 'a', -0],
      predictions: [[0.1, 0.9], [0.5, 0.5], [1, 0], [0, 1], [0.2, 0.8]],
      data: [{ s: 'u', n: 1.5, x: null, keep: 1 }, { s: 'v', n: -2 }, { n: 0 }, { s: 'u', n: 3, x: { deep: 1 } }, { s: 7, n: 4 }],
      config,
    } as EvalInput;
    const { packed, transfer } = packInput(input);
    expect(packed.labels.kind).toBe('codes');
    expect(packed.predictions.kind).toBe('raw');
    expect(packed.data!.n!.kind).toBe('numbers');
    expect(packed.data!.s!.kind).toBe('raw'); // a row lacks it
    expect(transfer.length).toBe(2); // the labels' codes and n's numbers
    const { input: back, columns } = unpackInput(structuredClone(packed));
    expect(back.labels).toEqual(input.labels);
    expect(back.predictions).toEqual(input.predictions);
    expect(back.data).toHaveLength(5);
    expect(columns).toEqual({ s: ['u', 'v', undefined, 'u', 7], n: [1.5, -2, 0, 3, 4], x: [null, undefined, undefined, { deep: 1 }, undefined] });
    expect(back.config).toEqual(config);
  });

  it('sends scores as numbers and many distinct strings as they are', () => {
    const n = 70_000;
    const input = { labels: Array.from({ length: n }, (_, i) => `label-${i}`), predictions: Array.from({ length: n }, (_, i) => i / n), config: { taskType: 'classification', classes: ['a', 'b'] } } as EvalInput;
    const { packed } = packInput(input);
    expect(packed.labels.kind).toBe('raw');
    expect(packed.predictions.kind).toBe('numbers');
    const { input: back, columns } = unpackInput(packed);
    expect(back.labels).toEqual(input.labels);
    expect(back.predictions).toEqual(input.predictions);
    expect(back.data).toBeUndefined();
    expect(columns).toBeUndefined();
  });
});
