/**
 * Per-object permissions and the audit log (issue 18, users mode):
 *   GET/PUT /experiments/:id/permissions, DELETE /experiments/:id/permissions/:user
 *   GET/PUT /models/:name/permissions,     DELETE /models/:name/permissions/:user
 *   GET /permissions (admins: every grant), GET /audit?user=&action=&limit=&offset= (admins)
 * Listing and setting an object's grants takes `manage` on it (its creator, an admin, or a grant).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../services';
import { handle } from '../../http';
import { AuditQuery, type AuthMode, EVERYONE, PermissionBody, type PermissionObject, permissionView, USER_NAME } from '../../../src/shared/auth';
import { IdParams } from '../../../src/shared/contract/schemas';
import { ModelNameParams } from '../../../src/shared/contract/registry';
import { AppError } from '../../../src/shared/errors';

const GranteeParams = z.strictObject({ user: z.union([USER_NAME, z.literal(EVERYONE)]) });

export function permissionsRouter({ permissions, audit }: Services, mode: AuthMode): Router {
  const router = Router();
  router.use(['/experiments/:id/permissions', '/models/:name/permissions', '/permissions', '/audit'], (_req, _res, next) =>
    next(mode === 'users' ? undefined : new AppError(404, 'not_found', `Permissions and the audit log need users (MODELLAB_AUTH=${mode}); set MODELLAB_AUTH=users`)),
  );

  const routesFor = (object: PermissionObject, base: string, idOf: (params: Record<string, string>) => string, params: z.ZodObject) => {
    router.get(
      `${base}/permissions`,
      handle({ params }, async ({ params: p }) => {
        const items = (await permissions.listFor(object, idOf(p as Record<string, string>))).map(permissionView);
        return { items, total: items.length, limit: items.length, offset: 0 };
      }),
    );
    router.put(
      `${base}/permissions`,
      handle({ params, body: PermissionBody }, async ({ params: p, body }) => permissionView((await permissions.set(object, idOf(p as Record<string, string>), body.user, body.level))!)),
    );
    router.delete(
      `${base}/permissions/:user`,
      handle({ params: params.extend(GranteeParams.shape) }, async ({ params: p }) => {
        const { user, ...rest } = p as Record<string, string>;
        await permissions.set(object, idOf(rest), user!, null);
      }),
    );
  };
  routesFor('experiment', '/experiments/:id', (p) => p.id!, IdParams);
  routesFor('model', '/models/:name', (p) => p.name!, ModelNameParams);

  router.get(
    '/permissions',
    handle({}, async () => {
      const items = await permissions.all();
      return { items, total: items.length, limit: items.length, offset: 0 };
    }),
  );

  router.get(
    '/audit',
    handle({ query: AuditQuery }, async ({ query }) => {
      const page = await audit.list(query);
      return { ...page, limit: query.limit, offset: query.offset };
    }),
  );

  return router;
}
