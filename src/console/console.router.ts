import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../db/database.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import type { Pages } from '../http/pages.ts';
import type { DnsVerifier } from '../orgs/dns-verifier.ts';
import { findMembership, fullName } from '../users/users.repository.ts';
import type { ConsoleAdmin } from './console-admin.ts';
import { createConsoleCookies, type Flash } from './console-session.ts';
import { type ConsoleSection, consoleView } from './console-view.ts';

export interface ConsoleDeps {
  pages: Pages;
  db: Db;
  uow: UnitOfWork;
  ctx: ServiceContext;
  clientSecret: string;
  /** Where this process itself answers HTTP (the console calls its own token endpoint), once listening. */
  internalUrl: () => string | undefined;
  /** The DNS lookups of domain verification (DNS_SERVERS). */
  dns: DnsVerifier;
}

export interface ConsoleRouter {
  router: Router;
  /** First on every console page (GET): the signed-in admin in ctx.state.console, or off to sign in. */
  page: Middleware;
  /** First on every console form (POST): the admin, then the form body, then its CSRF token. */
  form: Middleware[];
  /** The 403 page for someone who is not (or no longer) an admin of the org. */
  adminsOnly(ctx: Context, message: string, action: { href: string; label: string }): void;
  deps: ConsoleDeps;
  cookies: ReturnType<typeof createConsoleCookies>;
  /** Renders a console page (views/console/...) inside the console layout, with `...consoleView`. */
  render(ctx: Context, template: string, section: ConsoleSection, context?: Record<string, unknown>, status?: number): Promise<void>;
  /** After a change: 303 to `href`, whose page says `message` once. */
  done(ctx: Context, href: string, message: string, tone?: Flash['tone']): void;
}

/**
 * The org admin console (DESIGN.md Console). Its sections register their pages on the router this
 * returns (app.ts, one line each), behind `page` and `form`: an admin of the session's org, checked
 * against the database on every request, so a demoted or disabled admin is out at the next click.
 */
export function createConsoleRouter(deps: ConsoleDeps): ConsoleRouter {
  const { pages, db } = deps;
  const base = deps.ctx.config.baseUrl;
  const cookies = createConsoleCookies(deps.ctx.box, { secure: base.startsWith('https:') && deps.ctx.config.mode !== 'development', now: () => deps.ctx.clock.now() });
  const router = new Router();

  async function currentAdmin(ctx: Context): Promise<ConsoleAdmin | undefined> {
    const session = cookies.readSession(ctx);
    if (!session) return undefined;
    // The cookie says who signed in; the database says whether they are still an active admin.
    const membership = await findMembership(db, session.organizationId, session.userId);
    if (!membership || membership.state !== 'active' || membership.role !== 'admin') return undefined;
    const user = await db.selectFrom('users').select(['id', 'email', 'first_name', 'last_name']).where('id', '=', session.userId).executeTakeFirst();
    const organization = await db.selectFrom('organizations').selectAll().where('id', '=', session.organizationId).executeTakeFirst();
    if (!user || !organization) return undefined;
    const name = fullName(user) ?? user.email;
    return { user: { id: user.id, email: user.email, name }, organization, membership };
  }

  const page: Middleware = async (ctx: Context, next: Next) => {
    const admin = await currentAdmin(ctx);
    // `/console?organization=org_…` (a link from the app) chooses the org: signed in to another one, the
    // person signs in again for this one rather than changing the wrong org's settings.
    const organization = typeof ctx.query.organization === 'string' ? ctx.query.organization : '';
    if (!admin || (organization && organization !== admin.organization.id)) {
      return ctx.redirect(organization ? `/console/login?organization=${encodeURIComponent(organization)}` : '/console/login');
    }
    ctx.state.console = admin;
    await next();
  };

  /** The 403 page for someone who is not (or no longer) an admin of the org: why, and the way on. */
  function adminsOnly(ctx: Context, message: string, action: { href: string; label: string }): void {
    pages.render(ctx, 'login/message.njk', { title: 'Administrators only', message, tone: 'error', action }, 403);
  }

  // A form posted without an admin session changes nothing and says why (a redirect would lose the POST silently).
  const formAdmin: Middleware = async (ctx: Context, next: Next) => {
    const admin = await currentAdmin(ctx);
    if (!admin) {
      return adminsOnly(ctx, 'Your console session has ended, or your account is not an administrator of this organization. Nothing was changed. Sign in again to continue.', { href: '/console/login', label: 'Sign in' });
    }
    ctx.state.console = admin;
    await next();
  };

  return {
    router,
    page,
    form: [formAdmin, pages.formBody, pages.verifyCsrf],
    adminsOnly,
    deps,
    cookies,
    async render(ctx, template, section, context = {}, status = 200) {
      const view = await consoleView(ctx, db, deps.ctx.clock, section, cookies.takeFlash(ctx));
      pages.render(ctx, template, { ...view, ...context }, status);
    },
    done(ctx, href, message, tone = 'success') {
      cookies.writeFlash(ctx, { tone, message });
      ctx.status = 303;
      ctx.redirect(href);
    },
  };
}

