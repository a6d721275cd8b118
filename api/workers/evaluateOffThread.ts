/**
 * evaluate() off the main thread for inputs big enough to matter (the server keeps answering other
 * requests meanwhile); small ones run inline, where a thread's start-up would cost more. An input
 * whose resamples come in two blocks (above the multinomial limit) uses two threads: one draws
 * block 1 and hands its draws over, the other draws block 0 and finishes — both cores at work. The
 * result is the same as evaluate()'s in one thread. Node only.
 */
import { Worker } from 'node:worker_threads';
import { blocksFor, evaluate, EvalInputError, type BlockDraws, type EvalInput, type EvalResult } from '../../src/shared/evalHarness';
import type { EvalJob } from './evalWorker';

/** examples × resamples above which a worker thread is used. */
export const OFF_THREAD_WORK = 2_000_000;

type Reply = { ok: true; result?: EvalResult; draws?: BlockDraws } | { ok: false; inputError?: { message: string; index: number | null; field: string }; message?: string };

const failure = (reply: Extract<Reply, { ok: false }>) => (reply.inputError ? new EvalInputError(reply.inputError.message, reply.inputError.index, reply.inputError.field) : new Error(reply.message));

export function evaluateOffThread(input: EvalInput): Promise<EvalResult> {
  const work = input.labels.length * (input.config.bootstrap?.resamples ?? 1000);
  if (work <= OFF_THREAD_WORK) return Promise.resolve().then(() => evaluate(input));
  const blocks = Array.isArray(input.labels) ? blocksFor(input.labels.length) : 1;
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let settled = false;
    const end = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      outcome();
    };
    const start = (job: EvalJob, onReply: (reply: Reply) => void) => {
      const worker = new Worker(new URL('./evalWorkerBootstrap.mjs', import.meta.url));
      workers.push(worker);
      worker.on('message', (reply: Reply) => (reply.ok ? onReply(reply) : end(() => reject(failure(reply)))));
      worker.once('error', (error) => end(() => reject(error)));
      worker.postMessage(job);
      return worker;
    };
    const lead = start(blocks === 1 ? { mode: 'whole', input } : { mode: 'lead', input }, (reply) => {
      if (reply.ok && reply.result) end(() => resolve(reply.result!));
    });
    for (let block = 1; block < blocks; block++) {
      start({ mode: 'block', input, block }, (reply) => {
        if (reply.ok && reply.draws) lead.postMessage(reply.draws, [reply.draws.overall.buffer as ArrayBuffer, reply.draws.slices.buffer as ArrayBuffer]);
      });
    }
  });
}
