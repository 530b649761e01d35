import type { Middleware } from 'koa';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { unauthorized } from '../http/errors.ts';
import { authenticateApiKey } from './api-keys.service.ts';

/** `Authorization: Bearer <api key>` on every management API route (the OpenAPI document is mounted without it). */
export function requireApiKey(db: Db, clock: Clock): Middleware {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthorized(header ? 'The Authorization header must be "Bearer <api key>".' : 'An API key is required: send "Authorization: Bearer <api key>".');
    const key = await authenticateApiKey(db, clock, match[1]!);
    if (!key) throw unauthorized('The API key is not valid or has been revoked.');
    ctx.state.actor = { type: 'api_key', id: key.id };
    await next();
  };
}
