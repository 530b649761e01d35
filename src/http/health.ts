import type { Middleware } from 'koa';
import type { Db } from '../db/database.ts';

/** /healthz: the process answers. /readyz: and its database does too (503 otherwise). */
export function healthChecks(db: Db): Middleware {
  return async (ctx, next) => {
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path === '/readyz') {
      try {
        await db.selectFrom('organizations').select('id').limit(1).execute();
        ctx.body = { status: 'ok', database: 'ok' };
      } catch {
        ctx.status = 503;
        ctx.body = { status: 'unavailable', database: 'unreachable' };
      }
      return;
    }
    await next();
  };
}
