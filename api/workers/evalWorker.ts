/**
 * Worker thread for evaluations, so a large one does not stall the server. Three jobs:
 *   whole  — evaluate() here;
 *   block  — draw one block of resamples and send the draws back (transferred, not copied);
 *   lead   — draw block 0, wait for the other blocks' draws, and finish the evaluation.
 * Node only.
 */
import { parentPort } from 'node:worker_threads';
import { evaluate, Evaluation, EvalInputError, type BlockDraws, type EvalInput } from '../../src/shared/evalHarness';

export type EvalJob = { mode: 'whole'; input: EvalInput } | { mode: 'lead'; input: EvalInput } | { mode: 'block'; input: EvalInput; block: number };

const port = parentPort!;

function fail(error: unknown): void {
  if (error instanceof EvalInputError) port.postMessage({ ok: false, inputError: { message: error.message, index: error.index, field: error.field } });
  else port.postMessage({ ok: false, message: (error as Error).message });
}

port.once('message', (job: EvalJob) => {
  try {
    if (job.mode === 'whole') {
      port.postMessage({ ok: true, result: evaluate(job.input) });
      return;
    }
    const evaluation = new Evaluation(job.input);
    if (job.mode === 'block') {
      const draws = evaluation.runBlock(job.block);
      port.postMessage({ ok: true, draws }, [draws.overall.buffer as ArrayBuffer, draws.slices.buffer as ArrayBuffer]);
      return;
    }
    const own = evaluation.runBlock(0);
    const others: BlockDraws[] = [];
    const take = (draws: BlockDraws) => {
      others.push(draws);
      if (others.length < evaluation.blocks - 1) {
        port.once('message', take);
        return;
      }
      try {
        port.postMessage({ ok: true, result: evaluation.finish([own, ...others]) });
      } catch (error) {
        fail(error);
      }
    };
    if (evaluation.blocks === 1) port.postMessage({ ok: true, result: evaluation.finish([own]) });
    else port.once('message', take);
  } catch (error) {
    fail(error);
  }
});
