import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { AppError } from '../http/errors.ts';
import { requireApiKey } from './api-key.guard.ts';
import type { ApiDeps } from './deps.ts';
import { registerClientRoutes } from './clients.routes.ts';
import { registerConnectionRoutes } from './connections.routes.ts';
import { registerPortalRoutes } from './portal.routes.ts';
import { registerDirectoryRoutes } from './directories.routes.ts';
import { registerDomainRoutes } from './domains.routes.ts';
import { registerEventRoutes } from './events.routes.ts';
import { registerInvitationRoutes } from './invitations.routes.ts';
import { registerItContactRoutes } from './it-contacts.routes.ts';
import { buildOpenApi } from './openapi.ts';
import { registerOrganizationRoutes } from './organizations.routes.ts';
import { ApiRegistry } from './registry.ts';
import { registerSiteRoutes } from './sites.routes.ts';
import { registerUserRoutes } from './users.routes.ts';
import { registerWebhookRoutes } from './webhooks.routes.ts';

/** The management API v1: API key, JSON body (2 MB at most: IdP metadata XML can be pasted whole), then the feature routes. */
export function createApiRouter(deps: ApiDeps): { middleware: Middleware; registry: ApiRegistry } {
  const api = new ApiRegistry('/api/v1', [
    requireApiKey(deps.db, deps.ctx.clock),
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: '2mb',
      encoding: 'utf-8',
      onError(err) {
        const e = err as { status?: number; type?: string };
        if (e.status === 413 || e.type === 'entity.too.large') throw new AppError(413, 'payload_too_large', 'The request body is larger than 2 MB.');
        throw new AppError(400, 'malformed_body', 'The request body is not valid JSON.', { cause: err });
      },
    }),
  ]);
  registerOrganizationRoutes(api, deps);
  registerDomainRoutes(api, deps);
  registerItContactRoutes(api, deps);
  registerSiteRoutes(api, deps);
  registerUserRoutes(api, deps);
  registerInvitationRoutes(api, deps);
  registerEventRoutes(api, deps);
  registerClientRoutes(api, deps);
  registerConnectionRoutes(api, deps, ['saml', 'oidc']);
  registerDirectoryRoutes(api, deps);
  registerPortalRoutes(api, deps);
  registerWebhookRoutes(api, deps);
  const document = buildOpenApi(api, deps.ctx.config.baseUrl);
  api.router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  return { middleware: api.router.routes() as unknown as Middleware, registry: api };
}
