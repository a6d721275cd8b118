/** Experiments: creation, renames, tags, and the lifecycle that deleting or restoring one cascades over its runs. */
import type { EventBus } from '../eventBus';
import type { Store } from '../storage';
import type { Experiment, LifecycleStage } from '../../src/shared/contract/types';
import { nowIso } from '../../src/shared/ids';

export class ExperimentService {
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
    return (await this.store.searchRuns({ limit: 0, offset: 0, experimentIds: [id] })).total ?? 0; // counted: count is not false
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
   * Deleting an experiment soft-deletes its runs; restoring it brings them back — one atomic change
   * of the store, so of concurrent deletes exactly one is accepted (`refuse` names the error for an
   * experiment already in that stage) and a restore never interleaves with a delete.
   */
  async setStage(id: string, stage: LifecycleStage, refuse: (current: Experiment) => Error): Promise<Experiment> {
    const experiment = await this.store.setExperimentLifecycle(id, stage, refuse);
    this.events.publish('experiment.updated', { id, name: experiment.name, fields: ['lifecycleStage'] });
    return experiment;
  }
}
