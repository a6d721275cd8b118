/**
 * Users, roles and credentials (issue 18): the records the stores keep, the request bodies of the
 * auth API, and what each role may do. Pure: no DOM, no Node — the server hashes and compares, the
 * browser shows the same types.
 *
 * Roles, as MLflow's basic-auth app and W&B's teams define them: a viewer reads; an editor reads and
 * changes runs, experiments, datasets and models; an admin also manages users. Per-experiment and
 * per-model permissions (read, edit, manage) that narrow or widen a user's role come next.
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

/** The kinds of auth record a store keeps, by the key each is found by. */
export interface AuthRecords {
  user: UserRecord;
  token: TokenRecord;
  session: SessionRecord;
}
export type AuthKind = keyof AuthRecords;
export const AUTH_KINDS: readonly AuthKind[] = ['user', 'token', 'session'];
/** The key of a record of its kind: a user's name, a token's or session's id. */
export const authKeyOf = <K extends AuthKind>(kind: K, record: AuthRecords[K]): string => (kind === 'user' ? (record as UserRecord).name : (record as TokenRecord | SessionRecord).id);
/** The user a record belongs to: a token's or session's user, a user's own name (deleting a user takes what it owns). */
export const authOwnerOf = <K extends AuthKind>(kind: K, record: AuthRecords[K]): string => (kind === 'user' ? (record as UserRecord).name : (record as TokenRecord | SessionRecord).user);

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

/** What GET /auth/me answers. */
export interface Me {
  mode: AuthMode;
  /** null: no one is signed in (none and token modes have no users). */
  user: UserView | null;
  /** Present when signed in with a browser session: the X-CSRF-Token its writes carry. */
  csrfToken?: string;
}
