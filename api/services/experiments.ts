/** Experiments: creation, renames, tags, and the lifecycle that deleting or restoring one cascades over its runs. */
import type { EventBus } from '../eventBus';
import type { Store } from '../storage';
import type { Experiment, LifecycleStage } from '../../src/shared/contract/types';
import { nowIso } from '../../src/shared/ids';
import { KeyedLock } from '../../src/shared/keyedLock';

export class ExperimentService {
  /** One lifecycle change per experiment at a time: a restore never interleaves with a delete's cascade. */
  private readonly stageLock = new KeyedLock();

  constructor(
    private readonly store: Store,
    private readonly events: EventBus,
  ) {}

  list(): Promise<Experiment[]> {
    return this.store.listExperiments();
  }

  get(id: string): Promise<Experiment> {
    return this.store.getExperiment(id);
  }

  findByName(name: string): Promise<Experiment | null> {
    return this.store.findExperimentByName(name);
  }

  async runCount(id: string): Promise<number> {
    return (await this.store.searchRuns({ limit: 0, offset: 0, experimentIds: [id] })).total;
  }

  /** 409 for a taken name (a deleted experiment's too). */
  async create(input: { name: string; artifactLocation?: string | null; tags?: Record<string, string> }): Promise<Experiment> {
    const experiment = await this.store.createExperiment(input);
    this.events.publish('experiment.created', { id: experiment.id, name: experiment.name });
    return experiment;
  }

  /** Applies `change` atomically (a taken name answers 409) and announces it. */
  async change(id: string, change: (current: Experiment) => Experiment, fields: string[]): Promise<Experiment> {
    const experiment = await this.store.updateExperiment(id, (e) => ({ ...change(e), updatedAt: nowIso() }));
    this.events.publish('experiment.updated', { id, name: experiment.name, fields });
    return experiment;
  }

  /**
   * Deleting an experiment soft-deletes its runs; restoring it brings them back. The stage is checked
   * inside the store's mutation (`refuse` names the error for an experiment already in that stage),
   * so of concurrent deletes exactly one is accepted.
   */
  setStage(id: string, stage: LifecycleStage, refuse: (current: Experiment) => Error): Promise<Experiment> {
    return this.stageLock.run(id, async () => {
      const experiment = await this.store.updateExperiment(id, (e) => {
        if (e.lifecycleStage === stage) throw refuse(e);
        return { ...e, lifecycleStage: stage, updatedAt: nowIso() };
      });
      const from: LifecycleStage = stage === 'deleted' ? 'active' : 'deleted';
      const { items } = await this.store.searchRuns({ limit: Number.MAX_SAFE_INTEGER, offset: 0, experimentIds: [id], lifecycle: from });
      // Together, so they share group commits instead of one flush each.
      await Promise.all(items.map((run) => this.store.updateRun(run.id, (r) => ({ ...r, lifecycleStage: stage, updatedAt: nowIso() }))));
      this.events.publish('experiment.updated', { id, name: experiment.name, fields: ['lifecycleStage'] });
      return experiment;
    });
  }
}
