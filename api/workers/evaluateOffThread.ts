/**
 * evaluate() on a worker thread for inputs big enough to matter (the server keeps answering other
 * requests meanwhile); small ones run inline, where a thread's start-up would cost more. Node only.
 */
import { Worker } from 'node:worker_threads';
import { evaluate, EvalInputError, type EvalInput, type EvalResult } from '../../src/shared/evalHarness';

/** examples × resamples above which a worker thread is used. */
export const OFF_THREAD_WORK = 2_000_000;

export function evaluateOffThread(input: EvalInput): Promise<EvalResult> {
  const work = input.labels.length * (input.config.bootstrap?.resamples ?? 1000);
  if (work <= OFF_THREAD_WORK) return Promise.resolve().then(() => evaluate(input));
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./evalWorkerBootstrap.mjs', import.meta.url));
    worker.once('message', (reply: { ok: true; result: EvalResult } | { ok: false; inputError?: { message: string; index: number | null; field: string }; message?: string }) => {
      void worker.terminate();
      if (reply.ok) resolve(reply.result);
      else if (reply.inputError) reject(new EvalInputError(reply.inputError.message, reply.inputError.index, reply.inputError.field));
      else reject(new Error(reply.message));
    });
    worker.once('error', (error) => {
      void worker.terminate();
      reject(error);
    });
    worker.postMessage(input);
  });
}
