/**
 * Evaluate from a dataset version (issue 19): the labels, the predictions (a label, a score, or one
 * probability column per class) and the slice attributes read from the stored file's columns, into
 * the same evaluation input an inline request gives. What can be refused from the schema alone is,
 * before the file is read: a column the version does not have, a score or probability column that
 * is not numeric, a regression on a text column.
 */
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import Papa from 'papaparse';
import type { Dataset } from '../../src/shared/contract/types';
import type { DatasetEvalColumns, EvalConfigInput } from '../../src/shared/contract/schemas';
import type { EvalInput } from '../../src/shared/evalHarness';
import { badRequest, unprocessable } from '../../src/shared/errors';

const NUMERIC = new Set(['integer', 'number']);

/** Checks the mapping against the version's schema; answers the columns to read and their types. */
export function checkColumns(dataset: Dataset, columns: DatasetEvalColumns, config: EvalConfigInput): Map<string, string> {
  const types = new Map(dataset.schema.columns.map((c) => [c.name, c.type]));
  const need = (field: string, name: string) => {
    if (!types.has(name)) throw badRequest(`${field}: '${name}' is not a column of ${dataset.name} v${dataset.version} (its columns: ${[...types.keys()].join(', ')})`, { field });
    return types.get(name)!;
  };
  need('columns.label', columns.label);
  if (columns.prediction !== undefined) need('columns.prediction', columns.prediction);
  if (columns.score !== undefined && !NUMERIC.has(need('columns.score', columns.score))) throw badRequest(`columns.score: '${columns.score}' holds ${types.get(columns.score)} values; a score is a number`, { field: 'columns.score' });
  for (const [i, name] of (columns.probabilities ?? []).entries()) {
    if (!NUMERIC.has(need(`columns.probabilities.${i}`, name))) throw badRequest(`columns.probabilities.${i}: '${name}' holds ${types.get(name)} values; a probability is a number`, { field: `columns.probabilities.${i}` });
  }
  if (columns.probabilities && (config.classes === undefined || config.classes.length !== columns.probabilities.length)) {
    throw badRequest('config.classes: name the class of each probability column, in the columns’ order', { field: 'config.classes' });
  }
  for (const [i, name] of (columns.slices ?? []).entries()) need(`columns.slices.${i}`, name);
  if (config.taskType === 'regression') {
    for (const [field, name] of [['columns.label', columns.label], ['columns.prediction', columns.prediction]] as const) {
      if (name !== undefined && !NUMERIC.has(types.get(name)!)) throw badRequest(`${field}: '${name}' holds ${types.get(name)} values; a regression needs numbers`, { field });
    }
    if (columns.prediction === undefined) throw badRequest('columns.prediction: a regression needs the predicted values', { field: 'columns.prediction' });
  }
  return types;
}

/** The rows of a stored CSV, TSV, JSON or JSON Lines file, one callback per row (only the wanted fields kept). */
async function eachRow(dataset: Dataset, stream: Readable, wanted: string[], onRow: (row: Record<string, unknown>) => void): Promise<void> {
  const keep = (row: Record<string, unknown>) => onRow(Object.fromEntries(wanted.map((k) => [k, row[k]])));
  if (dataset.format === 'csv' || dataset.format === 'tsv') {
    await new Promise<void>((resolve, reject) => {
      let failed: unknown = null;
      Papa.parse(stream as unknown as File, {
        header: true,
        skipEmptyLines: true,
        delimiter: dataset.format === 'tsv' ? '\t' : '',
        step: (result: Papa.ParseStepResult<Record<string, unknown>>, parser: Papa.Parser) => {
          try {
            keep(result.data);
          } catch (error) {
            failed = error; // a row refused: stop reading, answer its error
            parser.abort();
          }
        },
        complete: () => (failed ? reject(failed) : resolve()),
        error: (error: Error) => reject(error),
      });
    });
    return;
  }
  if (dataset.format === 'jsonl') {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) if (line.trim()) keep(JSON.parse(line) as Record<string, unknown>);
    return;
  }
  let text = '';
  for await (const chunk of stream) text += chunk;
  for (const row of JSON.parse(text) as Record<string, unknown>[]) keep(row);
}

/** A cell as the column's type reads it: numbers for numeric columns (CSV cells are text). */
function typed(value: unknown, type: string | undefined): unknown {
  if (value === undefined || value === null || value === '') return null;
  if (NUMERIC.has(type ?? '') && typeof value === 'string') return Number(value);
  if (type === 'boolean' && typeof value === 'string') return value === 'true';
  return value;
}

/** The evaluation input read from the dataset: what POST /evaluate would take inline. */
export async function evalInputFromDataset(dataset: Dataset, stream: Readable, columns: DatasetEvalColumns, config: EvalConfigInput): Promise<EvalInput> {
  const types = checkColumns(dataset, columns, config);
  const predictionColumns = columns.probabilities ?? [columns.score ?? columns.prediction!];
  const wanted = [...new Set([columns.label, ...predictionColumns, ...(columns.slices ?? [])])];
  const labels: unknown[] = [];
  const predictions: unknown[] = [];
  const data: Record<string, unknown>[] = [];
  let index = 0;
  await eachRow(dataset, stream, wanted, (row) => {
    const at = index++;
    const label = typed(row[columns.label], types.get(columns.label));
    if (label === null) throw unprocessable(`row ${at + 1}: '${columns.label}' is empty; every example needs a label`, { field: 'columns.label', index: at });
    labels.push(label);
    predictions.push(columns.probabilities ? columns.probabilities.map((c) => typed(row[c], types.get(c))) : typed(row[predictionColumns[0]!], types.get(predictionColumns[0]!)));
    if (columns.slices) data.push(Object.fromEntries(columns.slices.map((c) => [c, row[c] ?? null])));
  });
  const predictionType = columns.probabilities ? 'probabilities' : columns.score !== undefined ? 'score' : config.taskType === 'classification' ? 'label' : undefined;
  return {
    labels,
    predictions,
    ...(columns.slices && { data }),
    config: {
      ...config,
      ...(predictionType && config.predictionType === undefined && { predictionType }),
      ...(columns.slices && config.sliceAttributes === undefined && { sliceAttributes: columns.slices }),
    },
  } as EvalInput;
}
