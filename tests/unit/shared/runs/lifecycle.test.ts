import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../src/shared/errors';
import { canTransition, newRun, updatedRun } from '../../../../src/shared/runs/lifecycle';
import { CreateRunBody } from '../../../../src/shared/contract/schemas';
import { makeRun, NO_GIT } from '../../../helpers/fixtures';

describe('canTransition', () => {
  it.each([
    ['pending', 'running', true],
    ['pending', 'failed', true],
    ['pending', 'completed', false],
    ['running', 'completed', true],
    ['running', 'failed', true],
    ['running', 'pending', false],
    ['completed', 'running', false],
    ['failed', 'completed', false],
    ['completed', 'completed', true],
  ] as const)('%s → %s is %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });
});

describe('newRun', () => {
  it('keeps a given seed and draws a random 32-bit one otherwise', () => {
    expect(makeRun({ seed: 42 }).seed).toBe(42);
    const seeds = new Set(Array.from({ length: 50 }, () => makeRun().seed));
    expect(seeds.size).toBeGreaterThan(45);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });

  it('sets startedAt/endedAt for a run recorded as already finished', () => {
    const run = newRun(CreateRunBody.parse({ name: 'x', status: 'completed' }), NO_GIT, '2026-01-01T00:00:00.000Z');
    expect(run).toMatchObject({ status: 'completed', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:00.000Z' });
    const pending = makeRun();
    expect(pending.startedAt).toBeNull();
    expect(pending.endedAt).toBeNull();
  });

  it('uses the detected git state unless a commit is given', () => {
    const git = { commit: 'abc1234', branch: 'main', dirty: true };
    expect(newRun(CreateRunBody.parse({ name: 'x' }), git)).toMatchObject({ gitCommit: 'abc1234', gitBranch: 'main', gitDirty: true });
    expect(newRun(CreateRunBody.parse({ name: 'x', gitCommit: 'DEADBEEF' }), git)).toMatchObject({
      gitCommit: 'deadbeef',
      gitBranch: null,
      gitDirty: null,
    });
  });
});

describe('updatedRun', () => {
  const at = '2026-02-02T00:00:00.000Z';

  it('stamps startedAt on running and endedAt on completed', () => {
    const running = updatedRun(makeRun(), { status: 'running' }, at);
    expect(running.startedAt).toBe(at);
    const done = updatedRun(running, { status: 'completed' }, '2026-02-03T00:00:00.000Z');
    expect(done.startedAt).toBe(at);
    expect(done.endedAt).toBe('2026-02-03T00:00:00.000Z');
  });

  it('answers 409 naming the allowed transitions when a completed run is set to running', () => {
    const done = makeRun({ status: 'completed' });
    let error: unknown;
    try {
      updatedRun(done, { status: 'running' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(409);
    expect((error as AppError).message).toMatch(/from 'completed' to 'running'.*none \(terminal state\)/);
    const pendingError = (() => {
      try {
        updatedRun(makeRun(), { status: 'completed' });
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(pendingError?.message).toContain('running, failed');
  });

  it('merges tags (null removes one) and metrics, and replaces hyperparameters', () => {
    const run = makeRun({ tags: { a: '1', b: '2' }, metrics: { loss: 1 }, hyperparameters: { lr: 0.1, depth: 3 } });
    const next = updatedRun(run, { tags: { b: null, c: '3' }, metrics: { acc: 0.9 }, hyperparameters: { lr: 0.2 } }, at);
    expect(next.tags).toEqual({ a: '1', c: '3' });
    expect(next.metrics).toEqual({ loss: 1, acc: 0.9 });
    expect(next.hyperparameters).toEqual({ lr: 0.2 });
    expect(next.updatedAt).toBe(at);
    expect(run.tags).toEqual({ a: '1', b: '2' }); // the input is not modified
  });
});
