/**
 * Who is asking (issue 18): users with a role, passwords hashed with scrypt, personal access tokens
 * and browser sessions — every credential stored only as a hash, compared in constant time. The
 * access middleware (api/http/access.ts) asks this service who a request comes from; the auth routes
 * sign in and out and manage users and tokens through it. Node only.
 */
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Store } from '../storage';
import { type Role, type SessionRecord, type TokenRecord, type TokenView, tokenView, type UserRecord, type UserView, userView } from '../../src/shared/auth';
import { AppError, conflict, notFound, unauthorized } from '../../src/shared/errors';
import { nowIso } from '../../src/shared/ids';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))));

/** scrypt's cost: N = 2^15, r = 8, p = 1 (OWASP's recommended minimum; ~32 MB and ~60 ms a hash). */
const SCRYPT = { N: 1 << 15, r: 8, p: 1 };
const KEY_BYTES = 32;

/** A password's stored form: scrypt$N$r$p$salt$key (salt and key base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_BYTES, { ...SCRYPT, maxmem: 128 * SCRYPT.N * SCRYPT.r * 2 });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` is the one `stored` was made from; false for a stored form it cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const options = { N: Number(n), r: Number(r), p: Number(p) };
  if (![options.N, options.r, options.p].every((x) => Number.isInteger(x) && x > 0) || options.N > 1 << 20) return false;
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { ...options, maxmem: 128 * options.N * options.r * 2 });
  return timingSafeEqual(actual, expected);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** Two secrets compared in constant time, whatever their lengths or characters (their SHA-256 digests are compared). */
export const sameSecret = (a: string, b: string): boolean => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** Personal access tokens read mlp_<id>_<secret>: the id finds the record, the secret's hash proves it. */
const TOKEN_FORMAT = /^mlp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** Who a request comes from, and how it proved it. */
export interface Principal {
  user: UserView;
  via: 'session' | 'token' | 'basic';
  /** With a session: its record (the CSRF token its writes must carry). */
  session?: SessionRecord;
}

/** How long a browser session lasts (MODELLAB_SESSION_HOURS; default a week). */
export const SESSION_HOURS = 24 * 7;
/** Failed sign-ins allowed per account, and per address (a team behind one proxy shares it), within the window before 429. */
export const LOGIN_FAILURES = 10;
export const LOGIN_FAILURES_PER_ADDRESS = 100;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
/** A token's last-used time is written at most this often (every request would otherwise be a write). */
const LAST_USED_EVERY_MS = 60 * 1000;

export class AuthService {
  /** Failed sign-ins per "user:<name>" and "addr:<address>": their times, newest last. */
  private readonly failures = new Map<string, number[]>();
  /** Basic credentials proven recently: sha256(stored hash + password) → until when. scrypt per request would cost ~60 ms each. */
  private readonly provenBasic = new Map<string, number>();
  /** A hash to compare against for unknown users, so that their sign-in takes as long as a known one's. */
  private readonly decoy = hashPassword(randomBytes(16).toString('hex'));

  constructor(
    private readonly store: Store,
    private readonly sessionHours = SESSION_HOURS,
    private readonly now: () => number = Date.now,
  ) {}

  // ---- users

  async listUsers(): Promise<UserView[]> {
    return (await this.store.listAuthRecords('user')).map(userView);
  }

  async getUser(name: string): Promise<UserView> {
    const user = await this.store.getAuthRecord('user', name);
    if (!user) throw notFound('user', name);
    return userView(user);
  }

  async createUser(input: { name: string; password: string; role: Role }): Promise<UserView> {
    const at = nowIso();
    const record: UserRecord = { name: input.name, role: input.role, passwordHash: await hashPassword(input.password), createdAt: at, updatedAt: at };
    try {
      await this.store.createAuthRecord('user', record);
    } catch (error) {
      if (error instanceof AppError && error.status === 409) throw conflict(`user '${input.name}' already exists`, { name: input.name });
      throw error;
    }
    return userView(record);
  }

  /** A new password signs the user out everywhere (sessions deleted; tokens stay: they are not the password). */
  async updateUser(name: string, change: { password?: string; role?: Role }): Promise<UserView> {
    const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
    const updated = await this.store.updateAuthRecord('user', name, (u) => ({ ...u, ...(change.role && { role: change.role }), ...(passwordHash && { passwordHash }), updatedAt: nowIso() }));
    if (passwordHash) for (const s of await this.store.listAuthRecords('session')) if (s.user === name) await this.store.deleteAuthRecord('session', s.id);
    return userView(updated);
  }

  async deleteUser(name: string): Promise<void> {
    if (!(await this.store.deleteAuthRecord('user', name))) throw notFound('user', name);
  }

  /** On first start with no users: the admin named `name` with `password` (MODELLAB_ADMIN_PASSWORD). false when users exist. */
  async bootstrapAdmin(name: string, password: string): Promise<boolean> {
    if ((await this.store.listAuthRecords('user')).length > 0) return false;
    await this.createUser({ name, password, role: 'admin' });
    return true;
  }

  // ---- signing in

  /** 429 once an account or an address has failed LOGIN_FAILURES times within the window. */
  private refuseIfLimited(keys: string[]): void {
    const since = this.now() - LOGIN_WINDOW_MS;
    for (const key of keys) {
      const times = (this.failures.get(key) ?? []).filter((t) => t > since);
      if (times.length === 0) this.failures.delete(key);
      else this.failures.set(key, times);
      if (times.length >= (key.startsWith('addr:') ? LOGIN_FAILURES_PER_ADDRESS : LOGIN_FAILURES)) {
        const retryAfter = Math.ceil((times[0]! + LOGIN_WINDOW_MS - this.now()) / 1000);
        throw new AppError(429, 'too_many_requests', `Too many failed sign-ins; try again in ${retryAfter} s`, { retryAfter });
      }
    }
  }

  private recordFailure(keys: string[]): void {
    for (const key of keys) this.failures.set(key, [...(this.failures.get(key) ?? []), this.now()]);
  }

  /** Whether `password` is `user`'s (false for no user, after as long as a wrong password takes). */
  private async passwordMatches(user: UserRecord | null, password: string): Promise<boolean> {
    const ok = await verifyPassword(password, user?.passwordHash ?? (await this.decoy));
    return user !== null && ok;
  }

  /** A new session for the user: the cookie's secret (returned once) and its record. 401 for wrong credentials, 429 when limited. */
  async login(name: string, password: string, address: string): Promise<{ secret: string; session: SessionRecord; user: UserView }> {
    const keys = [`user:${name}`, `addr:${address}`];
    this.refuseIfLimited(keys);
    const user = await this.store.getAuthRecord('user', name);
    const matches = await this.passwordMatches(user, password); // run for an unknown name too: as slow as a wrong password
    if (!user || !matches) {
      this.recordFailure(keys);
      throw unauthorized('Wrong user name or password');
    }
    this.failures.delete(keys[0]!);
    const secret = randomBytes(32).toString('base64url');
    const at = this.now();
    const session: SessionRecord = { id: sha256(secret), user: user.name, csrf: randomBytes(24).toString('base64url'), createdAt: new Date(at).toISOString(), expiresAt: new Date(at + this.sessionHours * 3600_000).toISOString() };
    await this.store.createAuthRecord('session', session);
    return { secret, session, user: userView(user) };
  }

  async logout(secret: string): Promise<void> {
    await this.store.deleteAuthRecord('session', sha256(secret));
  }

  // ---- who is asking

  /** The signed-in user of a session cookie's secret; null for an unknown or expired one (an expired one is deleted). */
  async fromSession(secret: string): Promise<Principal | null> {
    const session = await this.store.getAuthRecord('session', sha256(secret));
    if (!session) return null;
    if (Date.parse(session.expiresAt) <= this.now()) {
      await this.store.deleteAuthRecord('session', session.id);
      return null;
    }
    const user = await this.store.getAuthRecord('user', session.user);
    return user ? { user: userView(user), via: 'session', session } : null;
  }

  /** The owner of a personal access token; null for a malformed, unknown, revoked or expired one. */
  async fromToken(token: string): Promise<Principal | null> {
    const match = TOKEN_FORMAT.exec(token);
    if (!match) return null;
    const record = await this.store.getAuthRecord('token', match[1]!);
    if (!record || !sameSecret(sha256(match[2]!), record.secretHash)) return null;
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= this.now()) return null;
    const user = await this.store.getAuthRecord('user', record.user);
    if (!user) return null;
    if (record.lastUsedAt === null || this.now() - Date.parse(record.lastUsedAt) > LAST_USED_EVERY_MS) {
      await this.store.updateAuthRecord('token', record.id, (t) => ({ ...t, lastUsedAt: new Date(this.now()).toISOString() })).catch(() => undefined); // revoked meanwhile: no matter
    }
    return { user: userView(user), via: 'token' };
  }

  /** A user's name and password (HTTP Basic, as MLflow's clients send them); rate-limited as sign-ins are. */
  async fromBasic(name: string, password: string, address: string): Promise<Principal | null> {
    const user = await this.store.getAuthRecord('user', name);
    const proof = sha256(`${user?.passwordHash ?? ''}\n${password}`);
    if (user && (this.provenBasic.get(proof) ?? 0) > this.now()) return { user: userView(user), via: 'basic' };
    const keys = [`user:${name}`, `addr:${address}`];
    this.refuseIfLimited(keys);
    const matches = await this.passwordMatches(user, password); // run for an unknown name too: as slow as a wrong password
    if (!user || !matches) {
      this.recordFailure(keys);
      return null;
    }
    if (this.provenBasic.size > 10_000) this.provenBasic.clear();
    this.provenBasic.set(proof, this.now() + 60_000); // a changed password changes the stored hash, and so the proof
    return { user: userView(user), via: 'basic' };
  }

  // ---- personal access tokens

  /** A new token for `user`: its full text, shown this once. */
  async createToken(user: string, name: string, expiresAt: string | null): Promise<{ id: string; token: string; view: TokenView }> {
    if (expiresAt !== null && Date.parse(expiresAt) <= this.now()) throw new AppError(400, 'bad_request', 'expiresAt is in the past', { field: 'expiresAt' });
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record: TokenRecord = { id, user, name, secretHash: sha256(secret), createdAt: nowIso(), expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(), lastUsedAt: null };
    await this.store.createAuthRecord('token', record);
    return { id, token: `mlp_${id}_${secret}`, view: tokenView(record) };
  }

  async listTokens(user: string): Promise<TokenView[]> {
    return (await this.store.listAuthRecords('token')).filter((t) => t.user === user).map(tokenView);
  }

  /** Revokes one of `user`'s tokens (404 for another's: its existence is not theirs to learn). */
  async revokeToken(user: string, id: string): Promise<void> {
    const record = await this.store.getAuthRecord('token', id);
    if (!record || record.user !== user) throw notFound('token', id);
    await this.store.deleteAuthRecord('token', id);
  }
}
