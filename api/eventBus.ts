/** In-process publish/subscribe of changes, for the Server-Sent Events stream. */
import type { EventType } from '../src/shared/contract/events';
export type { EventType };

export interface ModelLabEvent {
  id: number;
  type: EventType;
  data: Record<string, unknown>;
  at: string;
}

/**
 * Carries events between processes that share a store (PostgreSQL's LISTEN/NOTIFY): `send` passes
 * on an event published here; `onEvent` hands over the ones published elsewhere.
 */
export interface EventRelay {
  send(event: Omit<ModelLabEvent, 'id'>): void;
  onEvent(deliver: (event: Omit<ModelLabEvent, 'id'>) => void): void;
  close(): Promise<void>;
}

export class EventBus {
  private listeners = new Set<(event: ModelLabEvent) => void>();
  private nextId = 1;
  private relay: EventRelay | null = null;
  private auditor: ((type: EventType, data: Record<string, unknown>) => Promise<void>) | null = null;

  /**
   * Announces a mutation. Resolves once the audit log holds it (users mode), so a service that
   * awaits this answers only after the entry is durable too.
   */
  publish(type: EventType, data: Record<string, unknown>): Promise<void> {
    const at = new Date().toISOString();
    this.deliver({ type, data, at });
    this.relay?.send({ type, data, at });
    return this.auditor ? this.auditor(type, data) : Promise.resolve();
  }

  /** Records each mutation published here (not the ones relayed from other processes: they record their own). */
  auditWith(auditor: (type: EventType, data: Record<string, unknown>) => Promise<void>): void {
    this.auditor = auditor;
  }

  /** Also deliver the events other processes publish, and pass this one's on to them. */
  relayThrough(relay: EventRelay): void {
    this.relay = relay;
    relay.onEvent((event) => this.deliver(event));
  }

  /** Numbered here: the stream's ids count this process's deliveries, whichever process published. */
  private deliver({ type, data, at }: Omit<ModelLabEvent, 'id'>): void {
    const event: ModelLabEvent = { id: this.nextId++, type, data, at };
    for (const listener of this.listeners) listener(event);
  }

  /** Returns the function that unsubscribes. */
  subscribe(listener: (event: ModelLabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
