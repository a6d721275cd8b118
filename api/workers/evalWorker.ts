/** Worker thread that runs evaluate() so a large evaluation does not stall the server. Node only. */
import { parentPort } from 'node:worker_threads';
import { evaluate, EvalInputError, type EvalInput } from '../../src/shared/evalHarness';

parentPort!.once('message', (input: EvalInput) => {
  try {
    parentPort!.postMessage({ ok: true, result: evaluate(input) });
  } catch (error) {
    if (error instanceof EvalInputError) parentPort!.postMessage({ ok: false, inputError: { message: error.message, index: error.index, field: error.field } });
    else parentPort!.postMessage({ ok: false, message: (error as Error).message });
  }
});
