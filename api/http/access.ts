/**
 * Who may do what, before any route runs (issue 18). Three modes (MODELLAB_AUTH):
 *  - none: anyone who reaches the port (loopback only unless the operator says otherwise);
 *  - token: today's single MODELLAB_API_TOKEN, needed for every write;
 *  - users: every request needs a user — a browser session's cookie, a personal access token
 *    (Authorization: Bearer) or a user name and password (Basic, as MLflow's clients send them) —
 *    except the routes `open` names (the health check, signing in). A write must not come from
 *    another origin, and one authenticated by the cookie alone must carry the session's
 *    X-CSRF-Token. /users, /permissions and /audit are for admins. What each user may do with
 *    each object is the services' to decide (services/permissions): a viewer's grant may let it
 *    write to one experiment.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { AuthMode } from '../../src/shared/auth';
import { isAdmin } from '../../src/shared/auth';
import { AppError, forbidden, unauthorized } from '../../src/shared/errors';
import { type AuthService, type Principal, sameSecret } from '../services/auth';
import { asCaller } from '../services/caller';

export const SESSION_COOKIE = 'modellab_session';
export const CSRF_HEADER = 'x-csrf-token';

/** The kinds of request the access rules tell apart; each router says which of its requests is which. */
export interface RequestKinds {
  /** Reads: GET and HEAD; MLflow's searches, which are POSTed. */
  isRead(req: Request): boolean;
  /** Needs no one signed in (users mode): the health check, signing in. */
  isOpen?(req: Request): boolean;
  /** Admins only: managing users. */
  isAdminOnly?(req: Request): boolean;
}

export interface AccessConfig {
  mode: AuthMode;
  /** token mode's token. */
  apiToken: string | null;
  /** users mode's users. */
  auth: AuthService | null;
}

/** The value of one cookie of the request (no cookie parser: one name is all ModelLab reads); a malformed %-escape is kept as sent. */
export function cookieOf(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      const raw = part.slice(at + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return null;
}

/** The signed-in principal of the request (users mode), once the access middleware has found it. */
export const principalOf = (res: Response): Principal | null => (res.locals.principal as Principal | undefined) ?? null;

/**
 * Enters the request's caller scope (services/caller) for the handlers after it. Mounted after the
 * body parsers: their stream callbacks would run outside the scope.
 */
export const callerScope: RequestHandler = (req, res, next) => asCaller({ user: principalOf(res)?.user ?? null, address: req.ip ?? '' }, next);

/** Whether the request's Origin (when a browser sent one) is this server's own. */
function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser's cross-site request: browsers send Origin with those
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

async function principalFrom(req: Request, auth: AuthService): Promise<Principal | null> {
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) {
    const found = await auth.fromToken(bearer[1]!);
    if (!found) throw unauthorized('The personal access token is unknown, revoked or expired');
    return found;
  }
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const found = colon < 0 ? null : await auth.fromBasic(decoded.slice(0, colon), decoded.slice(colon + 1), req.ip ?? '');
    if (!found) throw unauthorized('Wrong user name or password');
    return found;
  }
  const cookie = cookieOf(req, SESSION_COOKIE);
  return cookie ? auth.fromSession(cookie) : null;
}

export function access(config: AccessConfig, kinds: RequestKinds): RequestHandler {
  return (req, res, next) => {
    if (config.mode === 'none') return next();
    if (config.mode === 'token') {
      if (config.apiToken === null || kinds.isRead(req)) return next();
      const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (match && sameSecret(match[1]!, config.apiToken)) return next();
      res.setHeader('WWW-Authenticate', 'Bearer');
      return next(unauthorized());
    }
    if (kinds.isOpen?.(req)) return next();
    principalFrom(req, config.auth!).then(
      (principal) => {
        if (!principal) {
          res.setHeader('WWW-Authenticate', 'Bearer realm="ModelLab"');
          return next(unauthorized('Sign in, or send a personal access token (Authorization: Bearer) or a user name and password (Basic)'));
        }
        res.locals.principal = principal;
        if (kinds.isAdminOnly?.(req) && !isAdmin(principal.user.role)) return next(forbidden('Only an admin may do this'));
        if (kinds.isRead(req)) return next();
        if (!sameOrigin(req)) return next(forbidden(`A write from another origin (${req.headers.origin}) is refused`));
        if (principal.via === 'session') {
          const sent = req.headers[CSRF_HEADER];
          if (typeof sent !== 'string' || !sameSecret(sent, principal.session!.csrf)) {
            return next(new AppError(403, 'csrf_failed', `A write signed in by the session cookie must send the ${CSRF_HEADER} header that /auth/me gives`));
          }
        }
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
