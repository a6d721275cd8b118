/**
 * evaluate() off the main thread for inputs big enough to matter (the server keeps answering other
 * requests meanwhile); small ones run inline, where a thread's start-up would cost more. An input
 * whose resamples come in two blocks (above the multinomial limit) uses two threads: one draws
 * block 1 and hands its draws over, the other draws block 0 and finishes — both cores at work. The
 * result is the same as evaluate()'s in one thread. Node only.
 *
 * After a large evaluation, two warm threads are kept ready for the next one (a new thread spends
 * about half a second loading and compiling the code before its first resample) and ended after
 * five idle minutes: kept from server start, they cost every server ~90 MB of RSS (measured).
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { blocksFor, evaluate, EvalInputError, type EvalInput, type EvalResult } from '../../src/shared/evalHarness';
import type { EvalJob } from './evalWorker';
import { fillFailureRows, packInput, type ResultFromWorker } from './evalTransfer';

/** examples × resamples above which a worker thread is used. */
export const OFF_THREAD_WORK = 2_000_000;

type Reply = { ok: true; result?: ResultFromWorker; warmed?: true } | { ok: false; inputError?: { message: string; index: number | null; field: string }; message?: string };

const failure = (reply: Extract<Reply, { ok: false }>) => (reply.inputError ? new EvalInputError(reply.inputError.message, reply.inputError.index, reply.inputError.field) : new Error(reply.message));

const spawn = () => new Worker(new URL('./evalWorkerBootstrap.mjs', import.meta.url));

/** Started threads waiting for a job (they warm up first; a job sent meanwhile waits behind that). */
const idle: Worker[] = [];
let poolSize = 0;
const IDLE_MS = 5 * 60_000;
let idleTimer: ReturnType<typeof setTimeout> | null = null;
let warmTimer: ReturnType<typeof setTimeout> | null = null;
const WARM_DELAY_MS = 1000;

/** Keeps `count` warm evaluation threads ready (and replaces each one a job uses) until five idle minutes pass. */
export function warmEvalWorkers(count: number): void {
  poolSize = count;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void closeEvalWorkers(), IDLE_MS);
  idleTimer.unref();
  while (idle.length < poolSize) {
    const worker = spawn();
    worker.unref(); // an idle pool never keeps the process alive
    worker.once('error', () => {
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
    });
    worker.postMessage({ mode: 'warm' } satisfies EvalJob);
    idle.push(worker);
  }
}

/** Ends the idle threads (tests, shutdown). */
export async function closeEvalWorkers(): Promise<void> {
  poolSize = 0;
  if (warmTimer) clearTimeout(warmTimer);
  warmTimer = null;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  await Promise.all(idle.splice(0).map((w) => w.terminate()));
}

function takeWorker(): Worker {
  const worker = idle.shift() ?? spawn();
  worker.ref();
  return worker;
}

/** An evaluation's result, with its per-example values as JSON text when a worker thread computed it (see packResult). */
export type EvaluationOutcome = EvalResult | ResultFromWorker;

export function evaluateOffThread(input: EvalInput): Promise<EvaluationOutcome> {
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
      // The next large evaluation is likely near: have two threads ready — started a moment later,
      // so that their warm-up does not take the cores from writing this evaluation's documents.
      if (warmTimer) clearTimeout(warmTimer);
      warmTimer = setTimeout(() => {
        warmTimer = null;
        warmEvalWorkers(2);
      }, WARM_DELAY_MS);
      warmTimer.unref();
    };
    const start = (job: EvalJob, transfer: (MessagePort | ArrayBuffer)[], onReply: (reply: Reply) => void) => {
      const worker = takeWorker();
      workers.push(worker);
      worker.on('message', (reply: Reply) => {
        if (!reply.ok) end(() => reject(failure(reply)));
        else if (!reply.warmed) onReply(reply);
      });
      worker.once('error', (error) => end(() => reject(error)));
      worker.postMessage(job, transfer);
    };
    // The lead thread prepares the input and hands each helper its block's plan over a channel of their own.
    const channels = Array.from({ length: blocks - 1 }, () => new MessageChannel());
    const helpers = channels.map((c) => c.port1);
    const { packed, transfer } = packInput(input);
    start(blocks === 1 ? { mode: 'whole', input: packed } : { mode: 'lead', input: packed, helpers }, [...helpers, ...transfer], (reply) => {
      const result = reply.ok ? reply.result : undefined;
      if (result) end(() => resolve(fillFailureRows(result, input)));
    });
    for (const channel of channels) start({ mode: 'helper', lead: channel.port2 }, [channel.port2], () => {});
  });
}
