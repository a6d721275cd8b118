/**
 * /api/modellab/auth, /users, /tokens — signing in and out, who is signed in, users (admins) and
 * one's own personal access tokens (issue 18). In none and token modes only /auth/me answers (the
 * mode, and no user); the rest is 404.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../services';
import { handle } from '../../http';
import { cookieOf, principalOf, SESSION_COOKIE, type RequestKinds } from '../../http/access';
import { type AuthMode, CreateTokenBody, CreateUserBody, LoginBody, type Me, UpdateUserBody, USER_NAME } from '../../../src/shared/auth';
import { AppError, conflict } from '../../../src/shared/errors';

const NameParams = z.strictObject({ name: USER_NAME });
const TokenParams = z.strictObject({ id: z.string().regex(/^[0-9a-f]{16}$/, 'a token id is 16 hexadecimal digits') });

/** The auth routes' kinds of request, for the access middleware (paths relative to /api/modellab). */
export const AUTH_REQUEST_KINDS: Required<Omit<RequestKinds, 'isRead'>> = {
  isOpen: (req) => (req.path === '/health' && req.method === 'GET') || (req.path === '/auth/login' && req.method === 'POST'),
  isAdminOnly: (req) => req.path === '/users' || req.path.startsWith('/users/') || req.path === '/audit' || req.path === '/permissions',
};


export function authRouter({ auth, audit }: Services, mode: AuthMode): Router {
  const router = Router();
  // Everything here but /auth/me is users mode's: 404 in the other modes.
  router.use(['/auth/login', '/auth/logout', '/users', '/tokens'], (_req, _res, next) =>
    next(mode === 'users' ? undefined : new AppError(404, 'not_found', `Users are off (MODELLAB_AUTH=${mode}); set MODELLAB_AUTH=users to sign in`)),
  );

  const setCookie = (req: Request, res: Response, value: string, maxAgeSeconds: number) => {
    const attributes = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
    if (req.secure) attributes.push('Secure');
    res.setHeader('Set-Cookie', attributes.join('; '));
  };

  router.get(
    '/auth/me',
    handle({}, async (_input, _req, res): Promise<Me> => {
      const principal = principalOf(res);
      return { mode, user: principal?.user ?? null, ...(principal?.session && { csrfToken: principal.session.csrf }) };
    }),
  );

  router.post(
    '/auth/login',
    handle({ body: LoginBody }, async ({ body }, req, res): Promise<Me> => {
      const { secret, session, user } = await auth.login(body.username, body.password, req.ip ?? '').catch(async (error: unknown) => {
        // A refused sign-in is recorded under no one's name (the name tried is the object).
        if (error instanceof AppError && error.status === 401) await audit.record('login.failed', 'user', body.username, '-');
        throw error;
      });
      await audit.record('login', 'user', user.name, user.name);
      setCookie(req, res, secret, Math.round((Date.parse(session.expiresAt) - Date.now()) / 1000));
      res.setHeader('Cache-Control', 'no-store');
      return { mode, user, csrfToken: session.csrf };
    }),
  );

  router.post(
    '/auth/logout',
    handle({}, async (_input, req, res) => {
      const cookie = cookieOf(req, SESSION_COOKIE);
      if (cookie) await auth.logout(cookie);
      await audit.record('logout', 'user', principalOf(res)?.user.name ?? '-');
      setCookie(req, res, '', 0);
    }),
  );

  // ---- users (admins only: the access middleware checks)

  router.get(
    '/users',
    handle({}, async () => {
      const items = await auth.listUsers();
      return { items, total: items.length, limit: items.length, offset: 0 };
    }),
  );

  router.post(
    '/users',
    handle({ body: CreateUserBody }, async ({ body }, _req, res) => {
      const user = await auth.createUser(body);
      await audit.record('user.created', 'user', user.name);
      res.status(201).location(`users/${user.name}`);
      return user;
    }),
  );

  /** The last admin may not be demoted or deleted: nobody could manage users any more. */
  const keepAnAdmin = async (name: string) => {
    const admins = (await auth.listUsers()).filter((u) => u.role === 'admin');
    if (admins.length === 1 && admins[0]!.name === name) throw conflict(`'${name}' is the only admin; make another user admin first`, { name });
  };

  router.put(
    '/users/:name',
    handle({ params: NameParams, body: UpdateUserBody }, async ({ params, body }) => {
      if (body.role !== undefined && body.role !== 'admin') await keepAnAdmin(params.name);
      const user = await auth.updateUser(params.name, body);
      await audit.record(body.password !== undefined ? 'user.password_changed' : 'user.updated', 'user', user.name);
      return user;
    }),
  );

  router.delete(
    '/users/:name',
    handle({ params: NameParams }, async ({ params }) => {
      await keepAnAdmin(params.name);
      await auth.deleteUser(params.name);
      await audit.record('user.deleted', 'user', params.name);
    }),
  );

  // ---- one's own personal access tokens

  const me = (res: Response) => principalOf(res)!.user.name;

  router.get(
    '/tokens',
    handle({}, async (_input, _req, res) => {
      const items = await auth.listTokens(me(res));
      return { items, total: items.length, limit: items.length, offset: 0 };
    }),
  );

  router.post(
    '/tokens',
    handle({ body: CreateTokenBody }, async ({ body }, _req, res) => {
      const { token, view } = await auth.createToken(me(res), body.name, body.expiresAt ?? null);
      await audit.record('token.created', 'token', view.id);
      res.status(201).setHeader('Cache-Control', 'no-store');
      return { ...view, token };
    }),
  );

  router.delete(
    '/tokens/:id',
    handle({ params: TokenParams }, async ({ params }, _req, res) => {
      await auth.revokeToken(me(res), params.id);
      await audit.record('token.revoked', 'token', params.id);
    }),
  );

  return router;
}

