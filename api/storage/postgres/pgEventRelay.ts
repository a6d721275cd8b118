/**
 * The live event stream across processes on one database: each published event is a NOTIFY on one
 * channel, and every process LISTENs on it (one connection of its own) and delivers the events
 * other processes sent — its own it has delivered already. A lost listening connection is opened
 * again after a second; events published meanwhile elsewhere are not replayed (the stream is live,
 * not a log: the UI reloads what it shows on reconnecting). Node only.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { EventRelay, ModelLabEvent } from '../../eventBus';

const CHANNEL = 'modellab_events';
/** NOTIFY payloads must stay under 8,000 bytes: a larger event goes out with its ids only. */
const MAX_PAYLOAD = 7000;

/** n: the sender's count, so that two equal events are two notifications (PostgreSQL folds equal ones of a transaction). */
type Wire = Omit<ModelLabEvent, 'id'> & { origin: string; n: number };

export class PgEventRelay implements EventRelay {
  private readonly origin = randomBytes(8).toString('hex');
  private listener: pg.Client | null = null;
  private deliver: ((event: Omit<ModelLabEvent, 'id'>) => void) | null = null;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | null = null;
  /** Payloads waiting for the next send: the events of one turn of the event loop go out in one statement. */
  private waiting: string[] = [];
  private sent = 0;

  private constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly log: (message: string) => void,
  ) {}

  /** Listening before it resolves, so no event published after this returns is missed. */
  static async start(url: string, pool: pg.Pool, log: (message: string) => void): Promise<PgEventRelay> {
    const relay = new PgEventRelay(url, pool, log);
    await relay.listen();
    return relay;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      let wire: Wire;
      try {
        wire = JSON.parse(message.payload) as Wire;
      } catch {
        return;
      }
      if (wire.origin === this.origin) return;
      this.deliver?.({ type: wire.type, data: wire.data, at: wire.at });
    });
    client.on('error', (error) => {
      this.log(`modellab: the event stream's database connection was lost: ${error.message}`);
      this.reconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }

  private reconnect(): void {
    if (this.closed || this.retry) return;
    const old = this.listener;
    this.listener = null;
    void old?.end().catch(() => undefined);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.listen().catch((error: Error) => {
        this.log(`modellab: listening for events again failed: ${error.message}`);
        this.reconnect();
      });
    }, 1000);
    this.retry.unref();
  }

  send(event: Omit<ModelLabEvent, 'id'>): void {
    const n = this.sent++;
    let payload = JSON.stringify({ ...event, origin: this.origin, n });
    if (payload.length > MAX_PAYLOAD) {
      const data = Object.fromEntries(Object.entries(event.data).filter(([key]) => key === 'id' || key.endsWith('Id')));
      payload = JSON.stringify({ ...event, data, origin: this.origin, n });
    }
    if (this.waiting.push(payload) === 1) setImmediate(() => void this.flush());
  }

  /**
   * One NOTIFY per waiting event, in the order they were sent, from one statement: a sweep's
   * creates (bench:postgres) made one round trip and one transaction for each event.
   */
  private flush(): Promise<void> {
    const payloads = this.waiting;
    this.waiting = [];
    if (payloads.length === 0) return Promise.resolve();
    return this.pool
      .query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [CHANNEL, payloads])
      .then(
        () => undefined,
        (error: Error) => this.log(`modellab: ${payloads.length} event(s) could not be passed on to other processes: ${error.message}`),
      );
  }

  onEvent(deliver: (event: Omit<ModelLabEvent, 'id'>) => void): void {
    this.deliver = deliver;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush(); // what was sent before closing still goes out
    if (this.retry) clearTimeout(this.retry);
    await this.listener?.end().catch(() => undefined);
    this.listener = null;
  }
}
