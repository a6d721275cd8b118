/**
 * Per-object permissions (issue 18): who may read, change, delete and share each experiment (with
 * its runs, their metrics, artifacts and evaluations, and its logged models) and each registered
 * model (with its versions and aliases). The rules are src/shared/auth's levelOf; this applies them
 * to the current request's caller (./caller), answering as the issue asks: 404 to someone who may
 * not read the object (it does not exist, for them), 403 to someone who may read but not change it.
 *
 * Outside users mode, and outside a request, there is no caller and everything is allowed.
 *
 * What is cached, and why it is safe: the grants (few; reloaded when a permission.updated event
 * arrives from this or another process, and at most PERMISSION_TTL_MS after they were read), each
 * experiment's and model's creator, and each run's experiment (neither ever changes). Most requests
 * need no lookup at all: a caller whose role already allows the action, and whom no grant narrows,
 * passes at once — the metric-logging path stays one statement.
 */
import type { EventBus, EventType } from '../eventBus';
import type { Store } from '../storage';
import { EVERYONE, type Level, atLeast, isAdmin, levelOf, type PermissionObject, type PermissionRecord, permissionKey, type UserView, roleLevel } from '../../src/shared/auth';
import { LOGGED_MODEL_ID } from '../../src/shared/contract/registry';
import { forbidden, notFound } from '../../src/shared/errors';
import { nowIso } from '../../src/shared/ids';
import { currentUser } from './caller';

const PERMISSION_TTL_MS = 10_000;
const RUN_CACHE_SIZE = 100_000;
const ENTITY: Record<PermissionObject, string> = { experiment: 'experiment', model: 'registered model' };
const VERB: Record<Level, string> = { none: 'see', read: 'read', edit: 'change', manage: 'delete or share' };

export class Permissions {
  private grants: { byObject: Map<string, PermissionRecord[]>; loadedAt: number } | null = null;
  private loading: Promise<Map<string, PermissionRecord[]>> | null = null;
  private readonly creators = new Map<string, string | null>();
  private readonly runExperiments = new Map<string, string>();
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly events: EventBus,
    private readonly now: () => number = Date.now,
  ) {
    // Any process's change (the relay delivers other processes' events here too) reloads them; a
    // model deleted or renamed anywhere takes its name's creator along (a new model may take the name).
    events.subscribe((event) => {
      if (event.type === 'permission.updated') this.invalidate();
      if (event.type === 'registered_model.deleted' || (event.type === 'registered_model.updated' && event.data.previousName !== undefined)) {
        this.creators.delete(`model:${String(event.data.name)}`);
        this.creators.delete(`model:${String(event.data.previousName)}`);
      }
    });
  }

  // ---------------------------------------------------------------- checks

  /** 404 unless the caller may read the experiment, 403 unless it may do `need`. */
  async requireExperiment(id: string, need: Level): Promise<void> {
    await this.require('experiment', id, need);
  }

  async requireModel(name: string, need: Level): Promise<void> {
    await this.require('model', name, need);
  }

  /** As requireExperiment, for the run's experiment (404 naming the run). */
  async requireRun(runId: string, need: Level): Promise<void> {
    const user = currentUser();
    if (!user || (await this.allowedEverywhere(user, need))) return;
    const experimentId = await this.experimentOfRun(runId);
    this.judge('run', runId, await this.levelOn(user, 'experiment', experimentId), need);
  }

  /** Deleting a run: `manage` on its experiment, or `edit` for the user who created the run (its mlflow.user tag). */
  async requireRunDelete(runId: string, creator: () => Promise<string | null>): Promise<void> {
    const user = currentUser();
    if (!user || (await this.allowedEverywhere(user, 'manage'))) return;
    const level = await this.levelOn(user, 'experiment', await this.experimentOfRun(runId));
    if (atLeast(level, 'edit') && (await creator()) === user.name) return;
    this.judge('run', runId, level, 'manage');
  }

  /** Artifacts belong to a run or a logged model (an m-… id): its experiment decides. */
  async requireOwner(ownerId: string, need: Level, experimentOfModel: (id: string) => Promise<string>): Promise<void> {
    if (!LOGGED_MODEL_ID.test(ownerId)) return this.requireRun(ownerId, need);
    const user = currentUser();
    if (!user || (await this.allowedEverywhere(user, need))) return;
    this.judge('logged model', ownerId, await this.levelOn(user, 'experiment', await experimentOfModel(ownerId)), need);
  }

  /** Creating an experiment, model or dataset, or anything else no one object's grants decide: the role alone. */
  requireRole(need: Level): void {
    const user = currentUser();
    if (user && !atLeast(roleLevel(user.role), need)) throw forbidden(`A ${user.role} may not ${VERB[need]} this`);
  }

  // ---------------------------------------------------------------- lists

  /**
   * The experiments the caller may not read, or null when it may read them all (the common case):
   * lists leave them out, so counts and pages agree with what the caller sees.
   */
  async hiddenExperiments(): Promise<Set<string> | null> {
    return this.hidden('experiment');
  }

  async hiddenModels(): Promise<Set<string> | null> {
    return this.hidden('model');
  }

  /**
   * The experiments a search may look in: `requested` (undefined: all) less the ones the caller may
   * not read — as it is when none are hidden, an empty list when none of them remain.
   */
  async readableExperimentIds(requested: string[] | undefined): Promise<string[] | undefined> {
    const hidden = await this.hiddenExperiments();
    if (!hidden) return requested;
    return (requested ?? (await this.store.listExperiments()).map((e) => e.id)).filter((id) => !hidden.has(id));
  }

  /** The items the caller may read, by their experiment id or model name. */
  async readable<T>(object: PermissionObject, items: T[], idOf: (item: T) => string): Promise<T[]> {
    const hidden = await this.hidden(object);
    return hidden ? items.filter((item) => !hidden.has(idOf(item))) : items;
  }

  /**
   * Whether the caller's live stream shows an event: not one about an object it may not read (an
   * object that is gone by now is not shown to a caller with hidden objects either), and grants
   * only to admins.
   */
  async maySee(type: EventType, data: Record<string, unknown>): Promise<boolean> {
    const user = currentUser();
    if (!user || isAdmin(user.role)) return true;
    if (type === 'permission.updated') return false;
    const [experiments, models] = await Promise.all([this.hiddenExperiments(), this.hiddenModels()]);
    if (!experiments && !models) return true;
    const str = (value: unknown) => (typeof value === 'string' ? value : '');
    const experimentOf = async (ownerId: string): Promise<string | null> =>
      (LOGGED_MODEL_ID.test(ownerId) ? this.store.getLoggedModel(ownerId).then((m) => m.experimentId) : this.experimentOfRun(ownerId)).catch(() => null);
    const experimentShown = (id: string | null) => id !== null && !experiments?.has(id);
    const [kind] = type.split('.');
    switch (kind) {
      case 'run':
        return experimentShown(await experimentOf(str(data.id)));
      case 'runs': {
        // A bulk change: shown when every run is (a run deleted since cannot be placed: not shown).
        for (const id of Array.isArray(data.ids) ? data.ids.map(str) : []) if (!experimentShown(await experimentOf(id))) return false;
        return true;
      }
      case 'metrics':
      case 'artifact':
      case 'profile':
      case 'evaluation':
        return experimentShown(await experimentOf(str(data.runId)));
      case 'experiment':
        return experimentShown(str(data.id));
      case 'logged_model': {
        const ids = Array.isArray(data.ids) ? data.ids.map(str) : [str(data.id)];
        for (const id of ids) if (!experimentShown(await experimentOf(id))) return false;
        return true;
      }
      case 'registered_model':
      case 'model_version':
        return !models?.has(str(data.name));
      default:
        return true; // datasets: every user reads them
    }
  }

  // ---------------------------------------------------------------- grants

  private async list(object: PermissionObject, objectId: string): Promise<PermissionRecord[]> {
    return (await this.loaded()).get(`${object}:${objectId}`) ?? [];
  }

  /** An object's grants, for someone who manages it (404 for an unknown object). */
  async listFor(object: PermissionObject, objectId: string): Promise<PermissionRecord[]> {
    await this.require(object, objectId, 'manage');
    await this.ensureExists(object, objectId);
    return this.list(object, objectId);
  }

  /** Every grant (the admin page). */
  async all(): Promise<PermissionRecord[]> {
    return [...(await this.loaded()).values()].flat();
  }

  /**
   * Sets (level given) or removes (null) a user's or everyone's grant; the caller must manage the
   * object. 404 for an unknown object or user.
   */
  async set(object: PermissionObject, objectId: string, user: string, level: Level | null): Promise<PermissionRecord | null> {
    await this.require(object, objectId, 'manage');
    await this.ensureExists(object, objectId);
    if (user !== EVERYONE && level !== null && !(await this.store.getAuthRecord('user', user))) throw notFound('user', user);
    const key = permissionKey(object, objectId, user);
    const by = currentUser()?.name ?? '-';
    let result: PermissionRecord | null = null;
    if (level === null) await this.store.deleteAuthRecord('permission', key);
    else {
      const record: PermissionRecord = { id: key, object, objectId, user, level, by, updatedAt: nowIso() };
      if (await this.store.getAuthRecord('permission', key)) await this.store.updateAuthRecord('permission', key, () => record);
      else await this.store.createAuthRecord('permission', record).catch(() => this.store.updateAuthRecord('permission', key, () => record)); // made meanwhile: set it
      result = record;
    }
    this.invalidate();
    await this.events.publish('permission.updated', { object, objectId, user, level });
    return result;
  }

  /** A registered model's new name takes its grants along (MLflow keys them by name too). */
  async renameModel(from: string, to: string): Promise<void> {
    for (const grant of await this.list('model', from)) {
      await this.store.createAuthRecord('permission', { ...grant, id: permissionKey('model', to, grant.user), objectId: to }).catch(() => undefined);
      await this.store.deleteAuthRecord('permission', grant.id);
    }
    this.invalidate();
  }

  /** Forget what a deleted object left (its grants go too: a new object of the same name starts clean). */
  async forget(object: PermissionObject, objectId: string): Promise<void> {
    for (const grant of await this.list(object, objectId)) await this.store.deleteAuthRecord('permission', grant.id);
    this.creators.delete(`${object}:${objectId}`);
    this.invalidate();
  }

  // ---------------------------------------------------------------- inside

  private async ensureExists(object: PermissionObject, id: string): Promise<void> {
    if (object === 'experiment') await this.store.getExperiment(id);
    else await this.store.getRegisteredModel(id);
  }

  private async require(object: PermissionObject, id: string, need: Level): Promise<void> {
    const user = currentUser();
    if (!user || (await this.allowedEverywhere(user, need))) return;
    this.judge(ENTITY[object], id, await this.levelOn(user, object, id), need);
  }

  private judge(entity: string, id: string, level: Level, need: Level): void {
    if (!atLeast(level, 'read')) throw notFound(entity, id);
    if (!atLeast(level, need)) throw forbidden(`You may ${level === 'read' ? 'read' : 'change'} ${entity} '${id}' but not ${VERB[need]} it`);
  }

  /** True when no object's grant can lower the caller below `need` and its role already reaches it. */
  private async allowedEverywhere(user: UserView, need: Level): Promise<boolean> {
    if (isAdmin(user.role)) return true;
    if (!atLeast(roleLevel(user.role), need)) return false;
    for (const grants of (await this.loaded()).values()) {
      for (const g of grants) if ((g.user === user.name || g.user === EVERYONE) && !atLeast(g.level, need)) return false;
    }
    return true;
  }

  private async levelOn(user: UserView, object: PermissionObject, id: string): Promise<Level> {
    const grants = (await this.loaded()).get(`${object}:${id}`) ?? [];
    return levelOf(user, await this.creatorOf(object, id), grants);
  }

  private async hidden(object: PermissionObject): Promise<Set<string> | null> {
    const user = currentUser();
    if (!user || isAdmin(user.role)) return null;
    const hidden = new Set<string>();
    for (const grants of (await this.loaded()).values()) {
      const first = grants[0]!;
      if (first.object !== object) continue;
      if (!atLeast(levelOf(user, await this.creatorOf(object, first.objectId), grants), 'read')) hidden.add(first.objectId);
    }
    return hidden.size > 0 ? hidden : null;
  }

  private async creatorOf(object: PermissionObject, id: string): Promise<string | null> {
    const key = `${object}:${id}`;
    if (this.creators.has(key)) return this.creators.get(key)!;
    const found = object === 'experiment' ? await this.store.getExperiment(id).catch(() => null) : await this.store.getRegisteredModel(id).catch(() => null);
    if (!found) return null; // missing: the caller's lookup answers 404 after the check
    const creator = found.createdBy ?? null;
    this.creators.set(key, creator);
    return creator;
  }

  private async experimentOfRun(runId: string): Promise<string> {
    const known = this.runExperiments.get(runId);
    if (known !== undefined) return known;
    const { experimentId } = await this.store.getRun(runId); // 404 for a run that does not exist
    if (this.runExperiments.size >= RUN_CACHE_SIZE) this.runExperiments.clear();
    this.runExperiments.set(runId, experimentId);
    return experimentId;
  }

  /** A change: the next check reads the grants again (a read under way when it came is not kept). */
  private invalidate(): void {
    this.grants = null;
    this.loading = null;
    this.generation++;
  }

  private async loaded(): Promise<Map<string, PermissionRecord[]>> {
    if (this.grants && this.now() - this.grants.loadedAt < PERMISSION_TTL_MS) return this.grants.byObject;
    const generation = this.generation;
    this.loading ??= this.store.listAuthRecords('permission').then(
      (records) => {
        const byObject = new Map<string, PermissionRecord[]>();
        for (const r of records) {
          const key = `${r.object}:${r.objectId}`;
          byObject.set(key, [...(byObject.get(key) ?? []), r]);
        }
        if (generation === this.generation) {
          this.grants = { byObject, loadedAt: this.now() };
          this.loading = null;
        }
        return byObject;
      },
      (error: unknown) => {
        if (generation === this.generation) this.loading = null;
        throw error;
      },
    );
    return this.loading;
  }
}
