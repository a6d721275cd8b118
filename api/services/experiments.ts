/**
 * Experiments: creation, renames, tags, and the lifecycle that deleting or restoring one cascades
 * over its runs. Users mode: reading takes `read`, renaming and tagging `edit`, deleting, restoring
 * and sharing `manage` (./permissions); its creator is recorded and manages it.
 */
import type { EventBus } from '../eventBus';
import type { Store } from '../storage';
import type { Experiment, LifecycleStage } from '../../src/shared/contract/types';
import { nowIso } from '../../src/shared/ids';
import { currentUser } from './caller';
import type { Permissions } from './permissions';

export class ExperimentService {
  constructor(
    private readonly store: Store,
    private readonly events: EventBus,
    private readonly permissions: Permissions,
  ) {}

  /** The experiments the caller may read. */
  async list(): Promise<Experiment[]> {
    return this.permissions.readable('experiment', await this.store.listExperiments(), (e) => e.id);
  }

  async get(id: string): Promise<Experiment> {
    await this.permissions.requireExperiment(id, 'read');
    return this.store.getExperiment(id);
  }

  /** null also for one the caller may not read. */
  async findByName(name: string): Promise<Experiment | null> {
    const found = await this.store.findExperimentByName(name);
    return found && (await this.permissions.readable('experiment', [found], (e) => e.id)).length > 0 ? found : null;
  }

  async runCount(id: string): Promise<number> {
    await this.permissions.requireExperiment(id, 'read');
    return (await this.store.searchRuns({ limit: 0, offset: 0, experimentIds: [id] })).total ?? 0; // counted: count is not false
  }

  /** 409 for a taken name (a deleted experiment's too). */
  async create(input: { name: string; artifactLocation?: string | null; tags?: Record<string, string> }): Promise<Experiment> {
    this.permissions.requireRole('edit');
    const experiment = await this.store.createExperiment({ ...input, createdBy: currentUser()?.name ?? null });
    await this.events.publish('experiment.created', { id: experiment.id, name: experiment.name });
    return experiment;
  }

  /** Applies `change` atomically (a taken name answers 409) and announces it. */
  async change(id: string, change: (current: Experiment) => Experiment, fields: string[]): Promise<Experiment> {
    await this.permissions.requireExperiment(id, 'edit');
    const experiment = await this.store.updateExperiment(id, (e) => ({ ...change(e), updatedAt: nowIso() }));
    await this.events.publish('experiment.updated', { id, name: experiment.name, fields });
    return experiment;
  }

  /**
   * Deleting an experiment soft-deletes its runs; restoring it brings them back — one atomic change
   * of the store, so of concurrent deletes exactly one is accepted (`refuse` names the error for an
   * experiment already in that stage) and a restore never interleaves with a delete.
   */
  async setStage(id: string, stage: LifecycleStage, refuse: (current: Experiment) => Error): Promise<Experiment> {
    await this.permissions.requireExperiment(id, 'manage');
    const experiment = await this.store.setExperimentLifecycle(id, stage, refuse);
    await this.events.publish('experiment.updated', { id, name: experiment.name, fields: ['lifecycleStage'] });
    return experiment;
  }
}
