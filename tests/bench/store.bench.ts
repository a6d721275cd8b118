/**
 * npm run bench:store — acknowledged (durable) creates per second and flush latency of JsonStore,
 * with 10,000 runs already in db.json: 1 client (the reference) vs 64 concurrent clients, in-process
 * and over HTTP. Figures, not assertions: the machines are shared and noisy.
 */
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp } from '../../api/app';
import { DB_FILE, SCHEMA_VERSION } from '../../src/shared/contract/constants';
import { openServices } from '../../api/services';
import { JsonStore } from '../../api/storage/json/jsonStore';
import { makeRun } from '../helpers/fixtures';
import { tempDir } from '../helpers/tmp';

const PRELOADED = Number(process.env.BENCH_RUNS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const realisticRun = (i: number) =>
  makeRun({
    name: `sweep-${i}`,
    hyperparameters: { lr: 10 ** -(1 + (i % 4)), batch_size: 32 << i % 3, optimizer: 'adamw', layers: [512, 256, 128], dropout: 0.1 },
    config: { dataset: 'imagenet-subset', epochs: 90, augment: { flip: true, crop: 224 } },
    tags: { sweep: 'lr-batch', owner: 'bench' },
    metrics: { val_accuracy: 0.7 + (i % 100) / 1000, val_loss: 1.2 - (i % 50) / 100 },
  });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function freshStore() {
  const tmp = await tempDir('modellab-bench-');
  const runs = Array.from({ length: PRELOADED }, (_, i) => realisticRun(i));
  await writeFile(path.join(tmp.dir, DB_FILE), JSON.stringify({ schemaVersion: SCHEMA_VERSION, datasets: [], runs }));
  const store = await JsonStore.open(tmp.dir, { log: () => {} });
  return { store, tmp };
}

/** `clients` loops each awaiting one acknowledged create after another, for SECONDS. */
async function drive(clients: number, createOne: (i: number) => Promise<void>) {
  const deadline = performance.now() + SECONDS * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        await createOne(done);
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { done, seconds, perSecond: done / seconds };
}

async function inProcess(clients: number) {
  const { store, tmp } = await freshStore();
  const before = store.flushStats();
  const result = await drive(clients, async (i) => {
    await store.createRun(realisticRun(PRELOADED + i));
  });
  const stats = store.flushStats();
  const flushes = stats.flushes - before.flushes;
  const latencies = stats.recentFlushMs.slice(before.recentFlushMs.length).sort((a, b) => a - b);
  await store.close();
  await tmp.cleanup();
  return { ...result, flushes, perFlush: result.done / flushes, latencies };
}

async function overHttp(clients: number) {
  const { store, tmp } = await freshStore();
  const services = await openServices(store, tmp.dir, { gitDir: tmp.dir });
  const app = createApp({
    services,
    config: { apiToken: null, jsonLimitBytes: 1 << 20, maxUploadBytes: 1 << 20, maxEvalBytes: 1 << 20, version: 'bench' },
    log: () => {},
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/modellab/runs`;
  let failures = 0;
  const result = await drive(clients, async (i) => {
    const run = realisticRun(PRELOADED + i);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: run.name, hyperparameters: run.hyperparameters, config: run.config, tags: run.tags }),
    });
    await res.arrayBuffer();
    if (res.status !== 201) failures++;
  });
  server.close();
  server.closeAllConnections();
  await store.close();
  await tmp.cleanup();
  return { ...result, failures };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

console.log(`JsonStore benchmark: ${PRELOADED} runs preloaded in db.json, ${SECONDS} s per scenario, node ${process.version}`);
const single = await inProcess(1);
const many = await inProcess(64);
for (const [label, r] of [
  ['in-process, 1 client (reference)', single],
  ['in-process, 64 clients', many],
] as const) {
  console.log(
    `${label}: ${fmt(r.perSecond)} acknowledged creates/s (${r.done} in ${fmt(r.seconds, 2)} s), ` +
      `${r.flushes} flushes, ${fmt(r.perFlush)} creates/flush, flush ms p50 ${fmt(percentile(r.latencies, 50))} ` +
      `p95 ${fmt(percentile(r.latencies, 95))} p99 ${fmt(percentile(r.latencies, 99))} max ${fmt(r.latencies.at(-1) ?? NaN)}`,
  );
}
console.log(`group commit gain (64 clients / 1 client): ${fmt(many.perSecond / single.perSecond, 2)}x`);

const http1 = await overHttp(1);
const http64 = await overHttp(64);
console.log(`HTTP POST /runs, 1 client (reference): ${fmt(http1.perSecond)} creates/s, ${http1.failures} failures`);
console.log(`HTTP POST /runs, 64 clients: ${fmt(http64.perSecond)} creates/s, ${http64.failures} failures`);
console.log(`HTTP gain (64 / 1): ${fmt(http64.perSecond / http1.perSecond, 2)}x`);
