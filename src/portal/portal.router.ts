import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Call, ServiceContext } from '../context.ts';
import type { Db } from '../db/database.ts';
import type { PortalIntent, PortalSession } from '../db/schema.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import type { Pages } from '../http/pages.ts';
import type { SamlSso } from '../sso/saml/saml-sso.ts';
import { openPortalLink, touchPortalSession } from './portal-links.service.ts';

export const PORTAL_COOKIE = 'gh_portal';

/** Where each intent's pages live, under /portal. */
export const INTENT_PATHS: Record<PortalIntent, string> = {
  sso: '/portal/sso',
  dsync: '/portal/dsync',
  domain_verification: '/portal/domains',
  certificate_renewal: '/portal/certificates',
};

export interface PortalDeps {
  db: Db;
  uow: UnitOfWork;
  ctx: ServiceContext;
  pages: Pages;
  saml: SamlSso;
}

/** The open portal session of this request (set by `requirePortal`). */
export type PortalState = PortalSession & { return_url: string | null };

export const portalOf = (ctx: Context): PortalState => ctx.state.portal as PortalState;

/**
 * The setup wizard's front door (DESIGN.md Setup wizard): `/portal/:token` spends a link and starts a
 * session cookie for its org and intent; every page behind it checks the session and its intent.
 * The intents' pages register themselves on the router this returns.
 */
export function createPortalRouter(deps: PortalDeps): { router: Router; requirePortal: (intent: PortalIntent) => (ctx: Context, next: Next) => Promise<void> } {
  const { db, uow, ctx: service, pages } = deps;
  const call: Call = { ctx: service, actor: { type: 'system' } };
  const router = new Router();
  const https = service.config.baseUrl.startsWith('https:') && service.config.mode !== 'development';
  // Framed by the app on another site, the cookie must be SameSite=None (and so Secure, and partitioned).
  const cookieOptions = { httpOnly: true, path: '/portal', overwrite: true, ...(https ? { sameSite: 'none' as const, secure: true, partitioned: true } : { sameSite: 'lax' as const, secure: false }) };

  function linkProblem(ctx: Context, reason: 'unknown' | 'spent' | 'expired' | 'revoked' | 'session') {
    const texts = {
      unknown: ['This link is not valid', 'The link may have been copied incompletely. Ask the person who sent it for a new setup link.', 404],
      spent: ['This link has already been used', 'A setup link opens once, so that nobody else can reuse it. Ask for a new setup link in the application (or from your colleague who sent it).', 410],
      expired: ['This link has expired', `Setup links can be opened for ${Math.round(service.config.portalLinkTtlMs / 60_000)} minutes after they are created. Ask for a new setup link in the application.`, 410],
      revoked: ['This link was withdrawn', 'The application withdrew this setup link. Ask for a new one if you still need it.', 410],
      session: ['Your setup session has ended', 'Setup sessions end after an hour without activity. Your progress is saved: open a new setup link to continue where you stopped.', 401],
    } as const;
    const [title, message, status] = texts[reason];
    pages.render(ctx, 'portal/link-problem.njk', { title, message }, status);
  }

  router.get('/portal/:token', async (ctx, next) => {
    const token = ctx.params.token!;
    if (!token.startsWith('gpl_')) return next();
    const result = await uow((trx) => openPortalLink(trx, call, token));
    if (!result.ok) return linkProblem(ctx, result.reason);
    ctx.cookies.set(PORTAL_COOKIE, result.sessionToken, { ...cookieOptions, maxAge: 60 * 60_000 });
    ctx.status = 303;
    ctx.redirect(INTENT_PATHS[result.link.intent]);
  });

  function requirePortal(intent: PortalIntent) {
    return async (ctx: Context, next: Next) => {
      const token = ctx.cookies.get(PORTAL_COOKIE);
      const session = token ? await touchPortalSession(db, service.clock, token) : undefined;
      if (!session || session.intent !== intent) return linkProblem(ctx, 'session');
      ctx.state.portal = session;
      await next();
    };
  }

  return { router, requirePortal };
}
