import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Call, ServiceContext } from '../context.ts';
import type { Db } from '../db/database.ts';
import type { PortalIntent, PortalLink, PortalSession } from '../db/schema.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import type { Pages } from '../http/pages.ts';
import type { DnsVerifier } from '../orgs/dns-verifier.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import type { SamlSso } from '../sso/saml/saml-sso.ts';
import { frameOf, portalFrame } from './portal-frame.ts';
import { openPortalLink, touchPortalSession } from './portal-links.service.ts';

export const PORTAL_COOKIE = 'gh_portal';

/** Where each intent's pages live, under /portal. */
export const INTENT_PATHS: Record<PortalIntent, string> = {
  sso: '/portal/sso',
  dsync: '/portal/dsync',
  domain_verification: '/portal/domains',
  certificate_renewal: '/portal/certificates',
};

/** What each intent is called on its pages and in mail ("Domain verification for Acme"). */
export const INTENT_TITLES: Record<PortalIntent, string> = {
  sso: 'Single sign-on setup',
  dsync: 'Directory sync setup',
  domain_verification: 'Domain verification',
  certificate_renewal: 'Certificate renewal',
};

export interface PortalDeps {
  db: Db;
  uow: UnitOfWork;
  ctx: ServiceContext;
  pages: Pages;
  saml: SamlSso;
  /** The DNS lookups of domain verification (DNS_SERVERS). */
  dns: DnsVerifier;
}

/** The open portal session of this request (set by `requirePortal`), with its org's name. */
export type PortalState = PortalSession & { return_url: string | null; organization_name: string };

export const portalOf = (ctx: Context): PortalState => ctx.state.portal as PortalState;

/** A service call made by the IT admin of this session: events name the portal link that opened it. */
export const portalCall = (ctx: Context, service: ServiceContext): Call => ({ ctx: service, actor: { type: 'portal', id: portalOf(ctx).link_id } });

/**
 * What views/portal/base.njk needs on every page: pass `...portalView(ctx)` to every render. It carries
 * the way back to the app (`return_url`) and the origins allowed to frame the page (for assets/portal.js).
 */
export function portalView(ctx: Context): { organization: { id: string; name: string }; intent: PortalIntent; intent_title: string; return_url: string | null; frame_origins: string[] } {
  const portal = portalOf(ctx);
  return {
    organization: { id: portal.organization_id, name: portal.organization_name },
    intent: portal.intent,
    intent_title: INTENT_TITLES[portal.intent],
    return_url: portal.return_url,
    frame_origins: frameOf(ctx).origins,
  };
}

export interface PortalRouter {
  router: Router;
  requirePortal: (intent: PortalIntent | 'any') => (ctx: Context, next: Next) => Promise<void>;
  /** What the intents' pages are built with. */
  deps: PortalDeps;
}

/**
 * The setup wizard's front door (DESIGN.md Setup wizard): `/portal/:token` spends a link and starts a
 * session cookie for its org and intent; every page behind it checks the session and its intent.
 * The intents' pages register themselves on the router this returns (app.ts, one line each).
 */
export function createPortalRouter(deps: PortalDeps): PortalRouter {
  const { db, uow, ctx: service, pages } = deps;
  const call: Call = { ctx: service, actor: { type: 'system' } };
  const router = new Router();
  // First on every portal route, including the ones the intents add later: framing, form tokens, error pages.
  router.use(portalFrame({ db, pages, cookieName: PORTAL_COOKIE }));
  const https = service.config.baseUrl.startsWith('https:') && service.config.mode !== 'development';
  // Framed by the app on another site, the cookie must be SameSite=None (and so Secure, and partitioned).
  const cookieOptions = { httpOnly: true, path: '/portal', overwrite: true, ...(https ? { sameSite: 'none' as const, secure: true, partitioned: true } : { sameSite: 'lax' as const, secure: false }) };

  function linkProblem(ctx: Context, reason: 'unknown' | 'spent' | 'expired' | 'revoked' | 'session', link?: PortalLink) {
    const lifetime = link ? Date.parse(link.expires_at) - Date.parse(link.created_at) : service.config.portalLinkTtlMs;
    const texts = {
      unknown: ['This link is not valid', 'The link may have been copied incompletely. Ask the person who sent it for a new setup link.', 404],
      spent: ['This link has already been used', 'A setup link opens once, so that nobody else can reuse it. Ask for a new setup link in the application (or from your colleague who sent it).', 410],
      expired: ['This link has expired', `This setup link could be opened for ${duration(lifetime)} after it was made, and that time has passed. Ask for a new setup link in the application (or from your colleague who sent it).`, 410],
      revoked: ['This link was withdrawn', 'The application withdrew this setup link. Ask for a new one if you still need it.', 410],
      session: ['Your setup session has ended', 'Setup sessions end after an hour without activity. Your progress is saved: open a new setup link to continue where you stopped.', 401],
    } as const;
    const [title, message, status] = texts[reason];
    pages.render(ctx, 'portal/link-problem.njk', {
      title, message, return_url: link?.return_url ?? null, frame_origins: frameOf(ctx).origins,
      // The app framing the wizard hears why it stopped: its session ended, or the link could not open.
      gatehouse_event: reason === 'session' ? 'gatehouse:session_expired' : 'gatehouse:load_failed',
    }, status);
  }

  router.get('/portal/:token', async (ctx, next) => {
    const token = ctx.params.token!;
    if (!token.startsWith('gpl_')) return next();
    const result = await uow((trx) => openPortalLink(trx, call, token));
    if (!result.ok) {
      // The admin opened their own link a second time (from the mail, say): their session carries on.
      const current = result.reason === 'spent' ? await currentSession(ctx) : undefined;
      if (current && current.link_id === result.link?.id) return void ctx.redirect(INTENT_PATHS[current.intent]);
      return linkProblem(ctx, result.reason, result.link);
    }
    ctx.cookies.set(PORTAL_COOKIE, result.sessionToken, { ...cookieOptions, maxAge: 60 * 60_000 });
    ctx.status = 303;
    ctx.redirect(INTENT_PATHS[result.link.intent]);
  });

  function currentSession(ctx: Context) {
    const token = ctx.cookies.get(PORTAL_COOKIE);
    return token ? touchPortalSession(db, service.clock, token) : Promise.resolve(undefined);
  }

  /** The session's intent must be `intent` ('any': pages every intent shares, such as the hand-over). */
  function requirePortal(intent: PortalIntent | 'any') {
    return async (ctx: Context, next: Next) => {
      const session = await currentSession(ctx);
      if (!session) return linkProblem(ctx, 'session');
      if (intent !== 'any' && session.intent !== intent) {
        // A page of another intent: the session stays as it is, and its own pages are one link away.
        pages.render(ctx, 'portal/link-problem.njk', {
          title: 'This page is not part of your setup link',
          message: `Your setup link is for ${INTENT_TITLES[session.intent].toLowerCase()}. Ask for a new setup link for anything else.`,
          action: { href: INTENT_PATHS[session.intent], label: `Continue with ${INTENT_TITLES[session.intent].toLowerCase()}` },
          return_url: session.return_url, frame_origins: frameOf(ctx).origins,
        }, 403);
        return;
      }
      const organization = await getOrganization(db, session.organization_id);
      ctx.state.portal = { ...session, organization_name: organization.name } satisfies PortalState;
      await next();
    };
  }

  return { router, requirePortal, deps };
}

/** "5 minutes", "72 hours", "1 day": how long a link could be opened, in words. */
function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const [n, unit] = minutes % (24 * 60) === 0 && minutes >= 7 * 24 * 60 ? [minutes / (24 * 60), 'day'] : minutes % 60 === 0 && minutes >= 120 ? [minutes / 60, 'hour'] : [minutes, 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
