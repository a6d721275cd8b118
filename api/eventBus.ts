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

  publish(type: EventType, data: Record<string, unknown>): void {
    const at = new Date().toISOString();
    this.deliver({ type, data, at });
    this.relay?.send({ type, data, at });
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
