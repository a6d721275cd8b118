/**
 * The audit log (issue 18): one entry per mutation, with who (the signed-in user), what (the
 * mutation's event type, or an auth action), on what, when and from where. Every mutation already
 * publishes exactly one event, so the entries come from the event bus: nothing to remember at each
 * of the services' mutations. Auth actions (users, tokens, sign-ins), which publish no event, are
 * recorded here directly.
 *
 * Only requests with a signed-in user are recorded (users mode). The entry is written after the
 * mutation's own commit and before the request is answered: an acknowledged change has its entry,
 * but a crash between the two commits loses the entry of a change the client never saw confirmed.
 */
import type { EventBus, EventType } from '../eventBus';
import type { Store } from '../storage';
import type { AuditEntry, AuditFilter } from '../../src/shared/auth';
import { currentCaller } from './caller';

/** The object of each event: its type and how its id is read off the event's data. */
function objectOf(type: EventType, data: Record<string, unknown>): { objectType: string; objectId: string } | null {
  const s = (value: unknown) => (Array.isArray(value) ? value.join(',') : String(value ?? ''));
  switch (type) {
    case 'profile.progress':
    case 'evaluation.progress':
      return null; // progress of a profile or an evaluation, not a change (its result is a run.updated)
    case 'metrics.logged':
      return { objectType: 'run', objectId: s(data.runId) };
    case 'artifact.created':
    case 'artifact.deleted':
      return { objectType: 'artifact', objectId: `${s(data.runId)}/${s(data.path)}` };
    case 'registered_model.created':
    case 'registered_model.updated':
    case 'registered_model.deleted':
      return { objectType: 'registered_model', objectId: s(data.name) };
    case 'model_version.created':
    case 'model_version.updated':
    case 'model_version.deleted':
      return { objectType: 'model_version', objectId: `${s(data.name)}/${s(data.version)}` };
    case 'permission.updated':
      return { objectType: s(data.object), objectId: `${s(data.objectId)} → ${s(data.user)}: ${s(data.level ?? 'removed')}` };
    default:
      return { objectType: type.slice(0, type.indexOf('.')), objectId: s(data.id ?? data.ids) };
  }
}

export class AuditTrail {
  constructor(
    private readonly store: Store,
    events: EventBus,
  ) {
    events.auditWith((type, data) => {
      const object = objectOf(type, data);
      return object ? this.record(type, object.objectType, object.objectId) : Promise.resolve();
    });
  }

  /** Records an action of the current request's user; `user` names someone else (a failed sign-in's name). Durable when this resolves. */
  record(action: string, objectType: string, objectId: string, user?: string): Promise<void> {
    const caller = currentCaller();
    const who = user ?? caller?.user?.name;
    if (who === undefined) return Promise.resolve(); // no users (none or token mode), or not a request
    return this.store.appendAudit([{ at: new Date().toISOString(), user: who, action, objectType, objectId, address: caller?.address ?? '' }]);
  }

  list(filter: AuditFilter): Promise<{ items: AuditEntry[]; total: number }> {
    return this.store.listAudit(filter);
  }
}
