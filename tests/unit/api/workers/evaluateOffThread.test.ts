/**
 * A large evaluation on two worker threads (block 1 drawn by one, block 0 and the finish by the
 * other) answers exactly what evaluate() answers in one thread; errors come back as they would inline.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closeEvalWorkers, evaluateOffThread, type EvaluationOutcome, OFF_THREAD_WORK } from '../../../../api/workers/evaluateOffThread';

import { documentsOf } from '../../../../api/services/evaluations';

afterAll(() => closeEvalWorkers());

/** A worker's result with its per-example values parsed back (they come as JSON text), as evaluate() gives it. */
const asResult = (outcome: EvaluationOutcome): EvalResult => {
  if (outcome.perExample !== null) return outcome;
  const { perExampleJson, ...rest } = outcome;
  return { ...rest, perExample: JSON.parse(perExampleJson) as EvalResult['perExample'] };
};
import { blocksFor, evaluate, EvalInputError, type EvalInput, type EvalResult } from '../../../../src/shared/evalHarness';

function input(n: number, resamples: number): EvalInput {
  let s = 9;
  const random = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const labels = Array.from({ length: n }, () => (random() < 0.3 ? 'pos' : 'neg'));
  const predictions = labels.map((l) => Math.round(Math.min(1, (l === 'pos' ? 0.3 : 0) + random() * 0.7) * 1000) / 1000);
  const data = labels.map(() => ({ region: ['north', 'south', 'east', 'west'][Math.floor(random() * 4)] }));
  return { labels, predictions, data, config: { taskType: 'classification', classes: ['neg', 'pos'], positiveClass: 'pos', sliceAttributes: ['region'], bootstrap: { resamples, seed: 4 } } } as EvalInput;
}

describe('evaluateOffThread', () => {
  it('gives, on two threads, exactly the result of evaluate() in one', async () => {
    const big = input(25_000, 100);
    expect(big.labels.length * 100).toBeGreaterThan(OFF_THREAD_WORK);
    expect(blocksFor(big.labels.length)).toBe(2);
    const outcome = await evaluateOffThread(big);
    const threaded = asResult(outcome);
    const inline = evaluate(big);
    expect(JSON.stringify(threaded)).toBe(JSON.stringify(inline));
    expect(threaded.slices).toHaveLength(4);
    // predictions.json: the worker's text spliced after the run's fields is the document made inline.
    expect(documentsOf('r1', outcome, 't').predictionsText).toBe(documentsOf('r1', inline, 't').predictionsText);
    expect(threaded.metrics.accuracy!.ci.lower).toBeLessThan(threaded.metrics.accuracy!.value!);
  }, 60_000);

  it('gives the same result when data rows carry more than the slice attributes, and some lack one', async () => {
    const big = input(24_000, 60);
    big.data = big.data!.map((row, i) => ({
      ...(i % 97 === 0 ? {} : row),
      age: i % 5 === 0 ? null : (i * 37) % 90,
      mixed: i % 2 ? 'a' : 7,
      note: { text: `row ${i}`, tags: [i % 3] },
    }));
    big.config.sliceAttributes = ['region', 'age', 'mixed', 'absent'];
    const threaded = asResult(await evaluateOffThread(big));
    expect(JSON.stringify(threaded)).toBe(JSON.stringify(evaluate(big)));
    // The failure examples carry their whole row (the worker saw only the slice attributes).
    expect(threaded.failureExamples.examples[0]!.data).toEqual(big.data![threaded.failureExamples.examples[0]!.index as number]);
  }, 60_000);

  it('keeps two warm threads after a large evaluation, and their answers are the same', async () => {
    const big = input(22_000, 100);
    const first = await evaluateOffThread(big);
    const second = await evaluateOffThread(big); // on the threads kept warm
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  }, 60_000);

  it('rejects with the input error the worker found', async () => {
    const bad = input(25_000, 100);
    (bad.labels as string[])[123] = 'maybe';
    const error = await evaluateOffThread(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvalInputError);
    expect((error as EvalInputError).index).toBe(123);
  }, 60_000);
});
