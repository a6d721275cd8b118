/**
 * Worker thread for evaluations, so a large one does not stall the server. Jobs:
 *   warm   — run a small evaluation (loads and compiles the code), then wait for a job;
 *   whole  — evaluate() here;
 *   lead   — prepare the input, send each helper (over its own channel) the resampling plan and its
 *            block number, draw block 0, wait for the helpers' draws, and finish;
 *   helper — wait on the channel for a plan, draw that block, send the draws back (transferred).
 * A helper never sees the input: the lead's preparation reaches it as typed arrays (copied at memory
 * speed), where before both threads were sent the whole input and prepared it (measured: the second
 * copy of a 200,000-example input with slices cost the main thread ~115 ms, the helper ~100 ms more).
 * Node only.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { type PackedInput, packResult, unpackInput } from './evalTransfer';
import { drawBlock, evaluate, Evaluation, EvalInputError, type BlockDraws, type EvalInput, type ResamplingPlan } from '../../src/shared/evalHarness';

export type EvalJob = { mode: 'warm' } | { mode: 'whole'; input: PackedInput } | { mode: 'lead'; input: PackedInput; helpers: MessagePort[] } | { mode: 'helper'; lead: MessagePort };

const port = parentPort!;

function fail(error: unknown): void {
  if (error instanceof EvalInputError) port.postMessage({ ok: false, inputError: { message: error.message, index: error.index, field: error.field } });
  else port.postMessage({ ok: false, message: (error as Error).message });
}

/** A binary task with scores, slices and Poisson weights: the code paths a large evaluation takes. */
function warmUp(): void {
  const n = 30_000;
  const labels = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'pos' : 'neg'));
  const predictions = labels.map((l, i) => ((i * 7919) % 1000) / 1000 / (l === 'pos' ? 1 : 2));
  const data = labels.map((_, i) => ({ region: String(i % 4) }));
  evaluate({ labels, predictions, data, config: { taskType: 'classification', classes: ['neg', 'pos'], positiveClass: 'pos', sliceAttributes: ['region'], bootstrap: { resamples: 20 } } } as EvalInput);
}

const transferOf = (draws: BlockDraws) => [draws.overall.buffer as ArrayBuffer, draws.slices.buffer as ArrayBuffer];

function lead(input: EvalInput, columns: Record<string, unknown[]> | undefined, helpers: MessagePort[]): void {
  const evaluation = new Evaluation(input, columns);
  if (helpers.length !== evaluation.blocks - 1) throw new Error(`evaluation: ${evaluation.blocks} blocks but ${helpers.length + 1} threads`);
  const draws: BlockDraws[] = [];
  const collect = (d: BlockDraws) => {
    draws.push(d);
    if (draws.length < evaluation.blocks) return;
    for (const helper of helpers) helper.close();
    port.postMessage({ ok: true, result: packResult(evaluation.finish(draws)) });
  };
  helpers.forEach((helper, i) => {
    helper.on('message', (d: BlockDraws) => {
      try {
        collect(d);
      } catch (error) {
        fail(error);
      }
    });
    helper.postMessage({ plan: evaluation.plan, block: i + 1 });
  });
  collect(evaluation.runBlock(0));
}

port.on('message', (job: EvalJob) => {
  try {
    if (job.mode === 'warm') {
      warmUp();
      port.postMessage({ ok: true, warmed: true });
    } else if (job.mode === 'whole') {
      const { input, columns } = unpackInput(job.input);
      port.postMessage({ ok: true, result: packResult(evaluate(input, columns)) });
    } else if (job.mode === 'lead') {
      const { input, columns } = unpackInput(job.input);
      lead(input, columns, job.helpers);
    } else {
      job.lead.once('message', ({ plan, block }: { plan: ResamplingPlan; block: number }) => {
        try {
          const draws = drawBlock(plan, block);
          job.lead.postMessage(draws, transferOf(draws));
          job.lead.close();
        } catch (error) {
          fail(error);
        }
      });
    }
  } catch (error) {
    fail(error);
  }
});
