/**
 * Users, roles and credentials (issue 18): the records the stores keep, the request bodies of the
 * auth API, and what each role may do. Pure: no DOM, no Node — the server hashes and compares, the
 * browser shows the same types.
 *
 * Roles, as MLflow's basic-auth app and W&B's teams define them: a viewer reads; an editor reads and
 * changes runs, experiments, datasets and models; an admin also manages users and everything else.
 *
 * Per-experiment and per-registered-model permissions, as MLflow's basic-auth app defines them:
 * `read` reads; `edit` also changes (logs runs, renames, tags); `manage` also deletes and sets
 * permissions; `none` hides the object. A user's level on an object is, first match wins: admin →
 * manage; the object's creator → manage; the user's own grant (narrows or widens the role); the
 * object's grant for everyone (`*`, which only narrows: it makes an object private); the role's
 * default (viewer read, editor edit).
 */
import { z } from 'zod';

export const AUTH_MODES = ['none', 'token', 'users'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A user as stored: the password only as its scrypt hash (scrypt$N$r$p$salt$hash, base64). */
export interface UserRecord {
  name: string;
  role: Role;
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
}

/** A personal access token as stored: its secret only as a SHA-256 hash (hex). Revoking deletes it. */
export interface TokenRecord {
  id: string;
  user: string;
  name: string;
  secretHash: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** A browser session: its cookie's secret only as a SHA-256 hash (the record's id). */
export interface SessionRecord {
  id: string;
  user: string;
  /** The value a write authenticated by the session's cookie must send as X-CSRF-Token. */
  csrf: string;
  createdAt: string;
  expiresAt: string;
}

export const LEVELS = ['none', 'read', 'edit', 'manage'] as const;
export type Level = (typeof LEVELS)[number];
export const PERMISSION_OBJECTS = ['experiment', 'model'] as const;
/** What a permission is on: an experiment (by id, its runs and logged models too) or a registered model (by name, its versions too). */
export type PermissionObject = (typeof PERMISSION_OBJECTS)[number];
/** A grant for every user without one of their own: only narrows (`none` makes the object private). */
export const EVERYONE = '*';

/** One user's (or EVERYONE's) level on one object. */
export interface PermissionRecord {
  /** permissionKey(object, objectId, user) */
  id: string;
  object: PermissionObject;
  objectId: string;
  user: string;
  level: Level;
  /** Who set it, when. */
  by: string;
  updatedAt: string;
}
/** Unambiguous: neither kinds nor user names hold a colon. */
export const permissionKey = (object: PermissionObject, objectId: string, user: string): string => `${object}:${user}:${objectId}`;

/** The kinds of auth record a store keeps, by the key each is found by. */
export interface AuthRecords {
  user: UserRecord;
  token: TokenRecord;
  session: SessionRecord;
  permission: PermissionRecord;
}
export type AuthKind = keyof AuthRecords;
export const AUTH_KINDS: readonly AuthKind[] = ['user', 'token', 'session', 'permission'];
/** The key of a record of its kind: a user's name, a token's, session's or permission's id. */
export const authKeyOf = <K extends AuthKind>(kind: K, record: AuthRecords[K]): string => (kind === 'user' ? (record as UserRecord).name : (record as TokenRecord | SessionRecord | PermissionRecord).id);
/** The user a record belongs to: a token's, session's or permission's user, a user's own name (deleting a user takes what it owns). */
export const authOwnerOf = <K extends AuthKind>(kind: K, record: AuthRecords[K]): string => (kind === 'user' ? (record as UserRecord).name : (record as TokenRecord | SessionRecord | PermissionRecord).user);

/** A user as the API presents one (never the password's hash). */
export interface UserView {
  name: string;
  role: Role;
  createdAt: string;
  updatedAt: string;
}
export const userView = (u: UserRecord): UserView => ({ name: u.name, role: u.role, createdAt: u.createdAt, updatedAt: u.updatedAt });

/** A token as listed (never its secret, which is shown once, when made). */
export interface TokenView {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}
export const tokenView = (t: TokenRecord): TokenView => ({ id: t.id, name: t.name, createdAt: t.createdAt, expiresAt: t.expiresAt, lastUsedAt: t.lastUsedAt });

/** User names: what MLflow's basic auth and shells take without quoting; a path segment as they are. */
export const USER_NAME = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'a user name is letters, digits and . _ @ - (starting with a letter or digit)');
/** Passwords: long enough to resist guessing at the login's rate limit, short enough for scrypt. */
export const PASSWORD = z.string().min(8, 'a password has at least 8 characters').max(256);

export const LoginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
export const CreateUserBody = z.strictObject({ name: USER_NAME, password: PASSWORD, role: z.enum(ROLES) });
export const UpdateUserBody = z.strictObject({ password: PASSWORD.optional(), role: z.enum(ROLES).optional() }).refine((b) => b.password !== undefined || b.role !== undefined, 'give a password or a role to change');
export const CreateTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
});

/** What a role may do with the records everyone shares (runs, experiments, datasets, models). */
export const canWrite = (role: Role): boolean => role !== 'viewer';
export const isAdmin = (role: Role): boolean => role === 'admin';
/** A role's level on an object no grant names. */
export const roleLevel = (role: Role): Level => (role === 'admin' ? 'manage' : role === 'editor' ? 'edit' : 'read');
export const atLeast = (level: Level, need: Level): boolean => LEVELS.indexOf(level) >= LEVELS.indexOf(need);
const lower = (a: Level, b: Level): Level => (atLeast(a, b) ? b : a);

/**
 * A user's level on one object (the order of the module's opening comment). `grants` are the
 * object's permission records; `creator` is who made it (null: made before users, or by no one).
 */
export function levelOf(user: { name: string; role: Role }, creator: string | null, grants: readonly Pick<PermissionRecord, 'user' | 'level'>[]): Level {
  if (isAdmin(user.role) || (creator !== null && creator === user.name)) return 'manage';
  const own = grants.find((g) => g.user === user.name);
  if (own) return own.level;
  const everyone = grants.find((g) => g.user === EVERYONE);
  return everyone ? lower(everyone.level, roleLevel(user.role)) : roleLevel(user.role);
}

export const PermissionBody = z.strictObject({ user: z.union([USER_NAME, z.literal(EVERYONE)]), level: z.enum(LEVELS) });
/** A permission as the API lists it. */
export interface PermissionView {
  user: string;
  level: Level;
  by: string;
  updatedAt: string;
}
export const permissionView = (p: PermissionRecord): PermissionView => ({ user: p.user, level: p.level, by: p.by, updatedAt: p.updatedAt });

/** One mutation, as the audit log keeps it. */
export interface AuditEntry {
  /** Numbered by the store, in the order entries were written. */
  seq: number;
  at: string;
  /** Who: a user name ('-' for a request with no user, e.g. a failed sign-in's). */
  user: string;
  /** What: the event the mutation published (run.created, …) or an auth action (user.created, token.revoked, login.failed, …). */
  action: string;
  /** On what: e.g. run / 3f2a…, registered_model / churn, user / alice. */
  objectType: string;
  objectId: string;
  /** The client's address as Express sees it (trust proxy decides whether X-Forwarded-For counts). */
  address: string;
}
export type AuditDraft = Omit<AuditEntry, 'seq'>;
export const AuditQuery = z.strictObject({
  user: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type AuditFilter = z.output<typeof AuditQuery>;

/** What GET /auth/me answers. */
export interface Me {
  mode: AuthMode;
  /** null: no one is signed in (none and token modes have no users). */
  user: UserView | null;
  /** Present when signed in with a browser session: the X-CSRF-Token its writes carry. */
  csrfToken?: string;
}
