/**
 * Worker thread for evaluations, so a large one does not stall the server. Jobs:
 *   warm   — run a small evaluation (loads and compiles the code), then wait for a job;
 *   whole  — evaluate() here;
 *   block  — draw one block of resamples and send the draws back (transferred, not copied);
 *   lead   — draw block 0, wait for the other blocks' draws (later messages), and finish.
 * Node only.
 */
import { parentPort } from 'node:worker_threads';
import { evaluate, Evaluation, EvalInputError, type BlockDraws, type EvalInput } from '../../src/shared/evalHarness';

export type EvalJob = { mode: 'warm' } | { mode: 'whole'; input: EvalInput } | { mode: 'lead'; input: EvalInput } | { mode: 'block'; input: EvalInput; block: number };

const port = parentPort!;

function fail(error: unknown): void {
  if (error instanceof EvalInputError) port.postMessage({ ok: false, inputError: { message: error.message, index: error.index, field: error.field } });
  else port.postMessage({ ok: false, message: (error as Error).message });
}

/** A lead job waiting for the other blocks' draws. */
let waiting: { evaluation: Evaluation; draws: BlockDraws[] } | null = null;

/** A binary task with scores, slices and Poisson weights: the code paths a large evaluation takes. */
function warmUp(): void {
  const n = 30_000;
  const labels = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'pos' : 'neg'));
  const predictions = labels.map((l, i) => ((i * 7919) % 1000) / 1000 / (l === 'pos' ? 1 : 2));
  const data = labels.map((_, i) => ({ region: String(i % 4) }));
  evaluate({ labels, predictions, data, config: { taskType: 'classification', classes: ['neg', 'pos'], positiveClass: 'pos', sliceAttributes: ['region'], bootstrap: { resamples: 20 } } } as EvalInput);
}

port.on('message', (message: EvalJob | BlockDraws) => {
  try {
    if (waiting) {
      waiting.draws.push(message as BlockDraws);
      if (waiting.draws.length < waiting.evaluation.blocks) return;
      const { evaluation, draws } = waiting;
      waiting = null;
      port.postMessage({ ok: true, result: evaluation.finish(draws) });
      return;
    }
    const job = message as EvalJob;
    if (job.mode === 'warm') {
      warmUp();
      port.postMessage({ ok: true, warmed: true });
      return;
    }
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
    if (evaluation.blocks === 1) port.postMessage({ ok: true, result: evaluation.finish([own]) });
    else waiting = { evaluation, draws: [own] };
  } catch (error) {
    waiting = null;
    fail(error);
  }
});
