/** In-process publish/subscribe of changes, for the Server-Sent Events stream. */
import type { EventType } from '../src/shared/contract/events';
export type { EventType };

export interface ModelLabEvent {
  id: number;
  type: EventType;
  data: Record<string, unknown>;
  at: string;
}

export class EventBus {
  private listeners = new Set<(event: ModelLabEvent) => void>();
  private nextId = 1;

  publish(type: EventType, data: Record<string, unknown>): void {
    const event: ModelLabEvent = { id: this.nextId++, type, data, at: new Date().toISOString() };
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
