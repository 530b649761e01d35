import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import compose from 'koa-compose';
import type { Call, ServiceContext } from '../context.ts';
import type { Db, Executor } from '../db/database.ts';
import type { Directory } from '../db/schema.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import { authenticateDirectory } from './directories.service.ts';
import { LIST_SCHEMA, MAX_BODY, MAX_RESULTS, discoveryDocuments } from './discovery.ts';
import { groupFilter, parseScimFilter, userFilter } from './filter.ts';
import { applyPatch } from './patch.ts';
import { parseProjection, project, wantsMembers } from './projection.ts';
import { createScimGroup, deleteScimGroup, findScimGroup, parseGroupInput, replaceScimGroup, toScimGroup } from './scim-groups.service.ts';
import { parseUserInput, toScimUser } from './scim-user.mapper.ts';
import { createScimUser, deleteScimUser, findScimUser, groupsOfUsers, recordUserRefused, replaceScimUser, ScimUserRefused } from './scim-users.service.ts';
import { SCIM_CONTENT_TYPE, ScimError, scimErrorHandler } from './scim.errors.ts';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './discovery.ts';

export interface ScimDeps {
  db: Db;
  uow: UnitOfWork;
  ctx: ServiceContext;
}

const DEFAULT_COUNT = 100;
/** Every path under /scim/v2/<directoryId>, in any letter case (so no spelling skips the token check). */
const SCIM_PATH = /^\/scim\/v2\/([^/]+)/i;

/** Checks the directory's bearer token against the directory in the URL, and nothing else. */
function checkScimToken(db: Db, clock: ServiceContext['clock']): Middleware {
  return async (ctx, next) => {
    const directoryId = SCIM_PATH.exec(ctx.path)?.[1] ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
    const directory = match ? await authenticateDirectory(db, directoryId, match[1]!) : undefined;
    if (!directory) {
      ctx.set('WWW-Authenticate', 'Bearer realm="gatehouse-scim"');
      throw new ScimError(401, 'The bearer token is missing, not valid for this directory, or revoked.');
    }
    ctx.state.directory = directory;
    const now = clock.now();
    if (!directory.last_request_at || now.getTime() - Date.parse(directory.last_request_at) > 60_000) {
      await db.updateTable('directories').set({ last_request_at: now.toISOString() }).where('id', '=', directory.id).execute();
    }
    await next();
  };
}

function listQuery(ctx: Context) {
  const startIndex = Math.max(1, Number.parseInt(String(ctx.query.startIndex ?? '1'), 10) || 1);
  const requested = ctx.query.count === undefined ? DEFAULT_COUNT : Number.parseInt(String(ctx.query.count), 10);
  // RFC 7644 §3.4.2.4: a negative count is 0; the server may cap it (maxResults in ServiceProviderConfig).
  const count = Math.min(MAX_RESULTS, Math.max(0, Number.isNaN(requested) ? DEFAULT_COUNT : requested));
  // A repeated parameter arrives as an array: refuse it rather than silently answering unfiltered.
  if (Array.isArray(ctx.query.filter)) throw new ScimError(400, 'Send one filter parameter; combine conditions with and/or.', 'invalidFilter');
  const filter = typeof ctx.query.filter === 'string' && ctx.query.filter.trim() ? parseScimFilter(ctx.query.filter) : undefined;
  return { startIndex, count, filter };
}

/** RFC 7644 §3.14: a write with If-Match must name the current version. */
function checkIfMatch(ctx: Context, version: number): void {
  const ifMatch = ctx.get('if-match');
  if (ifMatch && ifMatch !== '*' && !ifMatch.split(',').map((v) => v.trim()).includes(`W/"${version}"`)) {
    throw new ScimError(412, `The resource has changed (version W/"${version}"); read it again before writing.`);
  }
}

function answer(ctx: Context, status: number, body: Record<string, unknown>): void {
  ctx.status = status;
  ctx.type = SCIM_CONTENT_TYPE;
  const meta = body.meta as { version?: string; location?: string } | undefined;
  if (meta?.version) ctx.set('ETag', meta.version);
  if (status === 201 && meta?.location) ctx.set('Location', meta.location);
  ctx.body = body;
}

/**
 * SCIM 2.0 at /scim/v2/:directoryId (RFC 7644): SCIM errors, the directory's token, a JSON body, then
 * the routes. The first three run for every path under /scim/v2/ before any route is matched: not
 * through router.use(), which @koa/router matches case-sensitively while its routes match any case.
 */
export function createScimMiddleware(deps: ScimDeps): Middleware {
  const router = createScimRouter(deps);
  const chain = compose([
    scimErrorHandler(),
    checkScimToken(deps.db, deps.ctx.clock),
    bodyParser({ enableTypes: ['json'], extendTypes: { json: ['application/scim+json', 'application/json'] }, jsonLimit: MAX_BODY, encoding: 'utf-8' }),
    router.routes() as unknown as Middleware,
  ]);
  return (ctx, next) => (SCIM_PATH.test(ctx.path) ? chain(ctx, async () => undefined) : next());
}

function createScimRouter(deps: ScimDeps): Router {
  const { db, uow } = deps;
  const router = new Router({ prefix: '/scim/v2/:directoryId' });
  const base = (ctx: Context) => `${deps.ctx.config.baseUrl}/scim/v2/${(ctx.state.directory as Directory).id}`;
  const call = (ctx: Context): Call => ({ ctx: deps.ctx, actor: { type: 'directory', id: (ctx.state.directory as Directory).id } });
  const dir = (ctx: Context) => ctx.state.directory as Directory;
  /** A user write; when refused, its transaction rolls back and dsync.user.refused is written on its own. */
  const userWrite = async <T>(ctx: Context, work: (trx: Executor) => Promise<T>): Promise<T> => {
    try {
      return await uow(work);
    } catch (err) {
      if (err instanceof ScimUserRefused) await uow((trx) => recordUserRefused(trx, call(ctx), dir(ctx), err));
      throw err;
    }
  };

  // Discovery.
  router.get('/ServiceProviderConfig', (ctx) => answer(ctx, 200, discoveryDocuments(base(ctx)).serviceProviderConfig));
  router.get('/ResourceTypes', (ctx) => {
    const { resourceTypes } = discoveryDocuments(base(ctx));
    answer(ctx, 200, { schemas: [LIST_SCHEMA], totalResults: resourceTypes.length, itemsPerPage: resourceTypes.length, startIndex: 1, Resources: resourceTypes });
  });
  router.get('/ResourceTypes/:id', (ctx) => {
    const found = discoveryDocuments(base(ctx)).resourceTypes.find((r) => r.id === ctx.params.id);
    if (!found) throw new ScimError(404, `ResourceType ${ctx.params.id} not found.`);
    answer(ctx, 200, found);
  });
  router.get('/Schemas', (ctx) => {
    const { schemas } = discoveryDocuments(base(ctx));
    answer(ctx, 200, { schemas: [LIST_SCHEMA], totalResults: schemas.length, itemsPerPage: schemas.length, startIndex: 1, Resources: schemas });
  });
  router.get('/Schemas/:id', (ctx) => {
    const found = discoveryDocuments(base(ctx)).schemas.find((s) => s.id === ctx.params.id);
    if (!found) throw new ScimError(404, `Schema ${ctx.params.id} not found.`);
    answer(ctx, 200, found);
  });

  // Users.
  router.get('/Users', async (ctx) => {
    const { startIndex, count, filter } = listQuery(ctx);
    const projection = parseProjection(ctx.query);
    let query = db.selectFrom('scim_users').where('directory_id', '=', dir(ctx).id).where('deleted_at', 'is', null);
    if (filter) query = query.where(userFilter(filter));
    const total = Number((await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = count === 0 ? [] : await query.selectAll().orderBy('id').limit(count).offset(startIndex - 1).execute();
    const groups = await groupsOfUsers(db, rows.map((r) => r.id));
    answer(ctx, 200, {
      schemas: [LIST_SCHEMA],
      totalResults: total,
      itemsPerPage: rows.length,
      startIndex,
      Resources: rows.map((row) => project(toScimUser(row, groups.get(row.id) ?? [], base(ctx)), projection)),
    });
  });

  router.post('/Users', async (ctx) => {
    const input = parseUserInput(ctx.request.body);
    const row = await userWrite(ctx, (trx) => createScimUser(trx, call(ctx), dir(ctx), input));
    answer(ctx, 201, toScimUser(row, (await groupsOfUsers(db, [row.id])).get(row.id) ?? [], base(ctx)));
  });

  router.get('/Users/:id', async (ctx) => {
    const row = await findScimUser(db, dir(ctx), ctx.params.id!);
    answer(ctx, 200, project(toScimUser(row, (await groupsOfUsers(db, [row.id])).get(row.id) ?? [], base(ctx)), parseProjection(ctx.query)));
  });

  router.put('/Users/:id', async (ctx) => {
    const row = await userWrite(ctx, async (trx) => {
      const current = await findScimUser(trx, dir(ctx), ctx.params.id!);
      checkIfMatch(ctx, current.version);
      return replaceScimUser(trx, call(ctx), dir(ctx), current, parseUserInput(ctx.request.body));
    });
    answer(ctx, 200, toScimUser(row, (await groupsOfUsers(db, [row.id])).get(row.id) ?? [], base(ctx)));
  });

  router.patch('/Users/:id', async (ctx) => {
    const row = await userWrite(ctx, async (trx) => {
      const current = await findScimUser(trx, dir(ctx), ctx.params.id!);
      checkIfMatch(ctx, current.version);
      const representation = toScimUser(current, (await groupsOfUsers(trx, [current.id])).get(current.id) ?? [], base(ctx));
      // PATCH = the patch applied to the current representation, then handled like a PUT of the result.
      const patched = applyPatch(representation, ctx.request.body, { schemaUris: [USER_SCHEMA, ENTERPRISE_SCHEMA] });
      const input = parseUserInput(patched);
      // Groups are read-only on a User (RFC 7643 §4.1.2): a PATCH never changes them.
      return replaceScimUser(trx, call(ctx), dir(ctx), current, { ...input, groups: undefined });
    });
    answer(ctx, 200, toScimUser(row, (await groupsOfUsers(db, [row.id])).get(row.id) ?? [], base(ctx)));
  });

  router.delete('/Users/:id', async (ctx) => {
    await uow(async (trx) => {
      const current = await findScimUser(trx, dir(ctx), ctx.params.id!);
      checkIfMatch(ctx, current.version);
      await deleteScimUser(trx, call(ctx), dir(ctx), current);
    });
    ctx.status = 204;
  });

  // Groups.
  router.get('/Groups', async (ctx) => {
    const { startIndex, count, filter } = listQuery(ctx);
    const projection = parseProjection(ctx.query);
    let query = db.selectFrom('scim_groups').where('directory_id', '=', dir(ctx).id);
    if (filter) query = query.where(groupFilter(filter));
    const total = Number((await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = count === 0 ? [] : await query.selectAll().orderBy('id').limit(count).offset(startIndex - 1).execute();
    const members = wantsMembers(projection);
    const resources = [];
    for (const row of rows) resources.push(project(await toScimGroup(db, row, base(ctx), { members }), projection));
    answer(ctx, 200, { schemas: [LIST_SCHEMA], totalResults: total, itemsPerPage: rows.length, startIndex, Resources: resources });
  });

  router.post('/Groups', async (ctx) => {
    const input = parseGroupInput(ctx.request.body);
    const row = await uow((trx) => createScimGroup(trx, call(ctx), dir(ctx), input));
    answer(ctx, 201, await toScimGroup(db, row, base(ctx), { members: true }));
  });

  router.get('/Groups/:id', async (ctx) => {
    const projection = parseProjection(ctx.query);
    const row = await findScimGroup(db, dir(ctx), ctx.params.id!);
    answer(ctx, 200, project(await toScimGroup(db, row, base(ctx), { members: wantsMembers(projection) }), projection));
  });

  router.put('/Groups/:id', async (ctx) => {
    const row = await uow(async (trx) => {
      const current = await findScimGroup(trx, dir(ctx), ctx.params.id!);
      checkIfMatch(ctx, current.version);
      return replaceScimGroup(trx, call(ctx), dir(ctx), current, parseGroupInput(ctx.request.body));
    });
    answer(ctx, 200, await toScimGroup(db, row, base(ctx), { members: true }));
  });

  router.patch('/Groups/:id', async (ctx) => {
    const projection = parseProjection(ctx.query);
    const row = await uow(async (trx) => {
      const current = await findScimGroup(trx, dir(ctx), ctx.params.id!);
      checkIfMatch(ctx, current.version);
      const representation = await toScimGroup(trx, current, base(ctx), { members: true });
      const patched = applyPatch(representation, ctx.request.body, { schemaUris: [GROUP_SCHEMA] });
      return replaceScimGroup(trx, call(ctx), dir(ctx), current, parseGroupInput(patched));
    });
    answer(ctx, 200, project(await toScimGroup(db, row, base(ctx), { members: wantsMembers(projection) }), projection));
  });

  router.delete('/Groups/:id', async (ctx) => {
    await uow(async (trx) => {
      const current = await findScimGroup(trx, dir(ctx), ctx.params.id!);
      checkIfMatch(ctx, current.version);
      await deleteScimGroup(trx, call(ctx), dir(ctx), current);
    });
    ctx.status = 204;
  });

  return router;
}
