/**
 * A pg.Pool that rides out a database that is briefly away (a restart, a fail-over, a network blip)
 * and says so in the API's terms when it stays away:
 * - Getting a connection is retried with exponential backoff (CONNECT_DELAYS_MS, about 3 s in all)
 *   when the server refuses, is starting or shutting down, or has no free slot: nothing had been
 *   sent, so a retry cannot apply anything twice. A query whose connection breaks mid-way is not
 *   retried here — a write may or may not have been committed — it fails with the 503 below and
 *   the client, told the request can be retried, decides.
 * - Every such failure becomes AppError 503 `database_unavailable` in the error shape (never a
 *   crash; idle connections the server drops are reported on the pool's 'error' and replaced).
 * - Text PostgreSQL cannot store (a NUL character) becomes 422 instead of a 500.
 */
import pg from 'pg';
import { AppError, unprocessable } from '../../../src/shared/errors';

const CONNECT_DELAYS_MS = [100, 200, 400, 800, 1600];
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** SQLSTATEs of a server that is away or cannot take the connection: class 08, the shutdowns, too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P01|57P02|57P03|53300)$/;
const CONNECTION_MESSAGES = /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|terminating connection/i;

/** True for an error that says the database is unreachable or the connection was lost (not that the request was wrong). */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof AppError) return false;
  const e = error as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || UNAVAILABLE_SQLSTATE.test(e.code))) return true;
  return typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message);
}

export function databaseUnavailable(error: unknown): AppError {
  return new AppError(503, 'database_unavailable', `The database is not answering (${(error as Error).message}); the request can be retried`);
}

/** SQLSTATEs for text PostgreSQL cannot hold (a NUL character, in text and in json alike). */
const UNSTORABLE_TEXT = new Set(['22P05', '22021']);

/**
 * `error` as it should be thrown: the 503 when it is a connection failure; 422 for text PostgreSQL
 * cannot store (the JSON store keeps a NUL character, PostgreSQL refuses it in text and json); itself otherwise.
 */
export function asAppError(error: unknown): unknown {
  if (isConnectionFailure(error)) return databaseUnavailable(error);
  if (UNSTORABLE_TEXT.has(String((error as { code?: unknown }).code))) {
    return unprocessable(`The request holds text PostgreSQL cannot store, such as a NUL character (\\u0000): ${(error as Error).message}`);
  }
  return error;
}

type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, release: (error?: Error | boolean) => void) => void;

export class ResilientPool extends pg.Pool {
  private async connectRetrying(): Promise<pg.PoolClient> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await super.connect();
      } catch (error) {
        const delay = CONNECT_DELAYS_MS[attempt];
        if (delay === undefined || !isConnectionFailure(error) || this.ended) throw asAppError(error);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  // pg-pool's own query() takes its connection through the callback form.
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    const connecting = this.connectRetrying();
    if (!callback) return connecting;
    connecting.then(
      (client) => callback(undefined, client, (error) => client.release(error)),
      (error: Error) => callback(error, undefined, () => {}),
    );
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's overloads; the arguments pass through unchanged
  override query(...args: any[]): any {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
    const result = (super.query as (...a: any[]) => unknown)(...args);
    return result instanceof Promise
      ? result.catch((error: unknown) => {
          throw asAppError(error);
        })
      : result;
  }
}

/**
 * Runs `fn` in one transaction on a connection of its own: committed when it resolves, rolled back
 * when it throws (what it threw rethrown, as the 503 when the connection failed).
 */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  let broken: unknown;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (isConnectionFailure(error)) broken = error;
    else await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
    throw asAppError(error);
  } finally {
    client.release(broken instanceof Error ? broken : undefined); // a broken connection is discarded, not reused
  }
}
