/**
 * Who the current request is, for the services (permissions, creators, the audit log) without
 * threading it through every call: the routers enter the scope once per request, after the body is
 * read (a stream's callbacks would lose it), and every await inside keeps it. Outside a request —
 * startup, a migration, a test calling a service — there is no caller and no user's rules apply.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UserView } from '../../src/shared/auth';

export interface Caller {
  /** The signed-in user (users mode); null in none and token modes. */
  user: UserView | null;
  /** The client's address, as Express gives it. */
  address: string;
}

const scope = new AsyncLocalStorage<Caller>();

export const asCaller = <T>(caller: Caller, fn: () => T): T => scope.run(caller, fn);
export const currentCaller = (): Caller | null => scope.getStore() ?? null;
/** The signed-in user of the current request, if any. */
export const currentUser = (): UserView | null => scope.getStore()?.user ?? null;
