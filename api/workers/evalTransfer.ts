/**
 * An evaluation's input on its way to a worker thread, as typed arrays that are transferred rather
 * than structured-cloned. Cloning the arrays of one value per example (and a row object per example)
 * cost the main thread ~60 ms and the worker ~170 ms for 200,000 examples with data rows (measured
 * with v8.serialize/deserialize); encoding here and decoding there costs a small part of that.
 *
 * - A column of numbers becomes a Float64Array; a column of strings and numbers with few distinct
 *   values becomes codes into its distinct values; anything else (probability rows, objects, mixed
 *   values, many distinct strings) travels as it is.
 * - Of the data rows, only the slice attributes' columns travel (building a row object per example
 *   in the worker again cost ~100 ms). The rows stay here: the worker's failure examples carry
 *   their row index, and fillFailureRows() puts the rows back.
 * Node only.
 */
import type { EvalInput, EvalResult } from '../../src/shared/evalHarness';

type Column = { kind: 'numbers'; values: Float64Array } | { kind: 'codes'; codes: Uint16Array; values: unknown[] } | { kind: 'raw'; values: unknown[] };

export interface PackedInput {
  labels: Column;
  predictions: Column;
  /** Per slice attribute, its values; null without data rows. */
  data: Record<string, Column> | null;
  rows: number;
  config: EvalInput['config'];
}

/** Above this many distinct values a column travels as it is. */
const MAX_CODES = 1 << 16;

function packColumn(values: unknown[], read: (i: number) => unknown = (i) => values[i]): Column {
  const n = values.length;
  let numbers = true;
  for (let i = 0; i < n && numbers; i++) numbers = typeof read(i) === 'number';
  if (numbers) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = read(i) as number;
    return { kind: 'numbers', values: out };
  }
  const raw = (): Column => ({ kind: 'raw', values: Array.from({ length: n }, (_, j) => read(j)) });
  const index = new Map<unknown, number>();
  const distinct: unknown[] = [];
  const codes = new Uint16Array(n); // MAX_CODES distinct values: codes 0–65535
  for (let i = 0; i < n; i++) {
    const v = read(i);
    if (typeof v !== 'string' && typeof v !== 'number') return raw();
    let code = index.get(v);
    if (code === undefined) {
      if (distinct.length === MAX_CODES) return raw();
      code = distinct.push(v) - 1;
      index.set(v, code);
    }
    codes[i] = code;
  }
  return { kind: 'codes', codes, values: distinct };
}

function unpackColumn(column: Column): unknown[] {
  if (column.kind === 'raw') return column.values;
  if (column.kind === 'numbers') return Array.from(column.values);
  const { codes, values } = column;
  const out = new Array<unknown>(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = values[codes[i]!];
  return out;
}

const buffersOf = (column: Column): ArrayBuffer[] => (column.kind === 'numbers' ? [column.values.buffer as ArrayBuffer] : column.kind === 'codes' ? [column.codes.buffer as ArrayBuffer] : []);

/**
 * The input, packed, and the buffers to transfer with it. Inputs the harness would refuse (arrays
 * of other lengths, rows that are not objects) are packed as they are, so the worker's prepare()
 * refuses them with the same message.
 */
export function packInput(input: EvalInput): { packed: PackedInput; transfer: ArrayBuffer[] } {
  const labels = Array.isArray(input.labels) ? packColumn(input.labels) : ({ kind: 'raw', values: input.labels } as Column);
  const predictions = Array.isArray(input.predictions) ? packColumn(input.predictions) : ({ kind: 'raw', values: input.predictions } as Column);
  let data: Record<string, Column> | null = null;
  if (input.data) {
    data = {};
    const rows = input.data;
    for (const attribute of new Set(input.config.sliceAttributes ?? [])) {
      data[attribute] = packColumn(rows, (i) => (rows[i] as Record<string, unknown> | null)?.[attribute]);
    }
  }
  const transfer = [labels, predictions, ...Object.values(data ?? {})].flatMap(buffersOf);
  return { packed: { labels, predictions, data, rows: input.data?.length ?? 0, config: input.config }, transfer };
}

/**
 * The input again, in the worker, with the slice attributes' columns for Evaluation: its `data` is
 * only as long as the rows were (prepare() checks that length), without their contents.
 */
export function unpackInput(packed: PackedInput): { input: EvalInput; columns: Record<string, unknown[]> | undefined } {
  const columns = packed.data ? Object.fromEntries(Object.entries(packed.data).map(([attribute, column]) => [attribute, unpackColumn(column)])) : undefined;
  const input = { labels: unpackColumn(packed.labels), predictions: unpackColumn(packed.predictions), ...(packed.data && { data: new Array(packed.rows) }), config: packed.config } as EvalInput;
  return { input, columns };
}

/** Puts each failure example's own data row back (the worker saw only the slice attributes). */
export function fillFailureRows<R extends Pick<EvalResult, 'failureExamples'>>(result: R, input: EvalInput): R {
  for (const example of result.failureExamples.examples) example.data = input.data?.[example.index as number] ?? null;
  return result;
}

/**
 * A result on its way back from a worker: the per-example values (three or four arrays of one
 * number per example) as their JSON text, made in the worker — they only ever become
 * predictions.json, and cloning them to the main thread and serializing them there was ~90 ms of
 * the main thread's time per 200,000-example evaluation (measured).
 */
export type ResultFromWorker = Omit<EvalResult, 'perExample'> & { perExample: null; perExampleJson: string };

export function packResult(result: EvalResult): ResultFromWorker {
  return { ...result, perExample: null, perExampleJson: JSON.stringify(result.perExample) };
}
