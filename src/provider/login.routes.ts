import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Call, ServiceContext } from '../context.ts';
import type { Db } from '../db/database.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import type { SignInRefusal } from '../events/catalogue.ts';
import type { Pages } from '../http/pages.ts';
import { hitRateLimit, resetRateLimit } from '../http/rate-limit.ts';
import { pageCspAllowingFormTarget } from '../http/security-headers.ts';
import { routeSignIn, type SsoConnectionType } from '../sso/home-realm.ts';
import { verifyAgainstDecoy, verifyPassword } from '../users/passwords.ts';
import { findUserByEmail } from '../users/users.repository.ts';
import { findClientByClientId } from './clients.service.ts';
import { SCOPES } from './account.ts';
import { bindGrantOrganization, decideOrganization, membershipChoices, recordSignInRefusal, type MembershipChoice } from './sign-in.service.ts';
import { emailAddress } from '../http/validate.ts';
import { consumeInteractionTicket, consumeTicketByToken } from '../sso/login-tickets.ts';
import { IDP_INITIATED_COOKIE } from '../sso/saml/saml-sso.ts';
import { createUpstreamCompletion } from './upstream-completion.ts';

const WINDOW_MS = 15 * 60_000;
/** Per account and per IP, in 15 minutes: enough for people, too few for guessing. */
export const ACCOUNT_ATTEMPTS = 10;
export const IP_ATTEMPTS = 50;
const GENERIC_ERROR = 'The email or password is incorrect.';
const email = emailAddress();

export interface LoginDeps {
  provider: Provider;
  pages: Pages;
  db: Db;
  uow: UnitOfWork;
  ctx: ServiceContext;
  ssoTypes: readonly SsoConnectionType[];
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const REFUSALS: Record<SignInRefusal, (org: string) => { title: string; message: string }> = {
  sso_required: (org) => ({ title: 'Single sign-on required', message: `${org} requires you to sign in through your company's identity provider. Password sign-in is turned off for ${org}; if single sign-on is not working, contact your IT administrator.` }),
  membership_disabled: (org) => ({ title: 'Access disabled', message: `Your access to ${org} has been disabled. If you think this is a mistake, contact an administrator of ${org}.` }),
  not_a_member: (org) => ({ title: 'Not a member', message: `Your account is not a member of ${org || 'the organization this application asked for'}. Ask an administrator for an invitation.` }),
  no_membership: () => ({ title: 'No organization', message: 'Your account is not a member of any organization yet. Ask an administrator of your organization for an invitation.' }),
  not_an_admin: () => ({ title: 'Administrators only', message: 'This application is for administrators of your organization.' }),
  rate_limited: () => ({ title: 'Too many attempts', message: 'There have been too many sign-in attempts. Wait 15 minutes and try again.' }),
  unknown_email: () => ({ title: '', message: GENERIC_ERROR }),
  no_password: () => ({ title: '', message: GENERIC_ERROR }),
  wrong_password: () => ({ title: '', message: GENERIC_ERROR }),
};

/** The sign-in interaction at /login/:uid: email first, then SSO or password, then the organization. */
export function createLoginRouter(deps: LoginDeps): Router {
  const { provider, pages, db, uow } = deps;
  const call: Call = { ctx: deps.ctx, actor: { type: 'system' } };
  const router = new Router();

  async function details(ctx: Context): Promise<Details | undefined> {
    try {
      const found = await provider.interactionDetails(ctx.req, ctx.res);
      if (found.uid === ctx.params.uid) {
        allowAppRedirect(ctx, found);
        return found;
      }
    } catch {
      // no interaction cookie, or the interaction expired
    }
    pages.render(ctx, 'login/message.njk', { title: 'This sign-in has expired', message: 'Go back to the application and sign in again.', tone: 'error' }, 400);
    return undefined;
  }

  /** Every sign-in page's forms lead, through redirects, to the app's redirect_uri: allow its origin. */
  const allowAppRedirect = (ctx: Context, d: Details) => ctx.set('Content-Security-Policy', pageCspAllowingFormTarget(d.params.redirect_uri as string | undefined));
  const clientName = async (d: Details) => (await findClientByClientId(db, String(d.params.client_id)))?.name ?? 'the application';
  const action = (d: Details, step: string) => `/login/${d.uid}/${step}`;

  async function refuse(ctx: Context, d: Details, reason: SignInRefusal, extra: { organizationName?: string; organizationId?: string; email?: string; userId?: string }, status = 403) {
    await uow((trx) => recordSignInRefusal(trx, call, { reason, clientId: String(d.params.client_id), organizationId: extra.organizationId, email: extra.email, userId: extra.userId }));
    const text = REFUSALS[reason](extra.organizationName ?? '');
    // Before the person is known, "another account" is the email step again; after, the app starts over.
    const href = d.prompt.name === 'login' ? `/login/${d.uid}?change=1` : `/login/${d.uid}/restart`;
    pages.render(ctx, 'login/message.njk', { ...text, tone: 'error', action: { href, label: 'Use another account' } }, status);
  }

  async function renderEmail(ctx: Context, d: Details, values: { email?: string; error?: string }, status = 200) {
    pages.render(ctx, 'login/email.njk', { action: action(d, 'email'), email: values.email ?? '', error: values.error, client_name: await clientName(d) }, status);
  }

  async function renderPassword(ctx: Context, d: Details, values: { email: string; error?: string }, status = 200) {
    pages.render(ctx, 'login/password.njk', { action: action(d, 'password'), email: values.email, error: values.error, restart_url: `/login/${d.uid}?change=1`, client_name: await clientName(d) }, status);
  }

  /** The org step: the app's `organization` parameter, the only membership, or the person's choice. */
  async function chooseOrganization(ctx: Context, d: Details, chosenId: string | undefined) {
    const accountId = d.session!.accountId;
    const choices = await membershipChoices(db, accountId);
    const wanted = (d.params.organization as string | undefined) ?? chosenId;
    let choice: MembershipChoice | undefined;
    if (wanted) {
      choice = choices.find((c) => c.organization.id === wanted);
      if (!choice) return refuse(ctx, d, 'not_a_member', { organizationId: undefined, userId: accountId });
    } else if (choices.length === 0) {
      return refuse(ctx, d, 'no_membership', { userId: accountId });
    } else if (choices.length === 1) {
      choice = choices[0];
    } else {
      pages.render(ctx, 'login/choose-org.njk', {
        action: action(d, 'organization'),
        organizations: choices.map((c) => ({ id: c.organization.id, name: c.organization.name, role: c.membership.role, disabled: c.membership.state !== 'active' })),
        client_name: await clientName(d),
      });
      return;
    }
    const decision = decideOrganization(choice, (d.session?.amr as string[] | undefined) ?? []);
    if (decision.outcome === 'refused') {
      return refuse(ctx, d, decision.reason, { organizationId: decision.organization?.id, organizationName: decision.organization?.name, userId: accountId });
    }
    const clientId = String(d.params.client_id);
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(String(d.params.scope ?? 'openid').split(' ').filter((s) => SCOPES.includes(s)).join(' '));
    const grantId = await grant.save();
    await uow((trx) => bindGrantOrganization(trx, call, { grantId, userId: accountId, organizationId: decision.choice.organization.id, clientId, method: ((d.session?.amr as string[] | undefined) ?? ['pwd']).join(',') }));
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    ctx.respond = false;
  }

  /** After the email is known (typed, or from login_hint / domain_hint): SSO, a refusal, or the password page. */
  async function routeEmail(ctx: Context, d: Details, address: string, options: { domainOnly: boolean; viaForm?: boolean }) {
    const route = await routeSignIn(db, deps.ssoTypes, address);
    if (route.kind === 'sso') {
      const type = deps.ssoTypes.find((t) => t.type === route.type)!;
      const url = await type.startUrl(route.connectionId, { interactionUid: d.uid, loginHint: options.domainOnly ? undefined : address });
      // After the email form, a page instead of a redirect: the form's CSP form-action would block a
      // redirect to the IdP's origin (browsers apply it to the redirects that follow a submission).
      if (options.viaForm) return pages.render(ctx, 'login/continue-to-idp.njk', { url, organization: route.organization.name });
      ctx.redirect(url);
      return;
    }
    if (route.kind === 'sso_required') {
      return refuse(ctx, d, 'sso_required', { organizationId: route.organization.id, organizationName: route.organization.name, email: options.domainOnly ? undefined : address });
    }
    if (options.domainOnly) return renderEmail(ctx, d, {});
    return renderPassword(ctx, d, { email: address });
  }

  const finishUpstream = createUpstreamCompletion({ provider, pages, db, uow, call });

  /** Back from the IdP (SP-initiated): the ticket the ACS wrote for this interaction. */
  router.get('/login/:uid/sso', async (ctx) => {
    const d = await details(ctx);
    if (!d) return;
    const consumed = await consumeInteractionTicket(db, deps.ctx.clock, deps.ctx.box, d.uid);
    if (!consumed) {
      return pages.render(ctx, 'login/message.njk', { title: 'This sign-in has expired', message: 'Go back to the application and sign in again.', tone: 'error' }, 400);
    }
    return finishUpstream(ctx, d, consumed);
  });

  router.get('/login/:uid', async (ctx) => {
    const d = await details(ctx);
    if (!d) return;
    // IdP-initiated: the app was sent to its initiate_login_uri and started this request; the browser
    // carries the ticket the ACS left for exactly this client.
    const idpTicket = ctx.cookies.get(IDP_INITIATED_COOKIE);
    if (idpTicket) {
      ctx.cookies.set(IDP_INITIATED_COOKIE, null, { path: '/login' });
      const consumed = await consumeTicketByToken(db, deps.ctx.clock, deps.ctx.box, idpTicket);
      if (consumed && consumed.ticket.client_id === String(d.params.client_id)) return finishUpstream(ctx, d, consumed);
    }
    if (d.prompt.name !== 'login') return chooseOrganization(ctx, d, undefined);
    // login_hint names the person: skip the email step. domain_hint names only the company: use it
    // to find its IdP, else ask for the email as usual.
    if (ctx.query.change) return renderEmail(ctx, d, {});
    const hinted = email.safeParse(d.params.login_hint ?? '');
    if (hinted.success) return routeEmail(ctx, d, hinted.data, { domainOnly: false });
    const domainHint = typeof d.params.domain_hint === 'string' ? d.params.domain_hint.trim().toLowerCase() : '';
    if (/^[a-z0-9.-]+\.[a-z]{2,}$/.test(domainHint)) return routeEmail(ctx, d, `someone@${domainHint}`, { domainOnly: true });
    return renderEmail(ctx, d, {});
  });

  router.get('/login/:uid/restart', async (ctx) => {
    const d = await details(ctx);
    if (!d) return;
    // Start over as someone else: end this attempt; the app's next request begins a fresh sign-in.
    await provider.interactionFinished(ctx.req, ctx.res, { error: 'login_required', error_description: 'The user chose to sign in with another account.' }, { mergeWithLastSubmission: false });
    ctx.respond = false;
  });

  router.post('/login/:uid/email', pages.formBody, pages.verifyCsrf, async (ctx) => {
    const d = await details(ctx);
    if (!d) return;
    if (d.prompt.name !== 'login') return chooseOrganization(ctx, d, undefined);
    const parsed = email.safeParse((ctx.request.body as Record<string, string>).email ?? '');
    if (!parsed.success) return renderEmail(ctx, d, { email: String((ctx.request.body as Record<string, string>).email ?? ''), error: 'Enter your work email address, like name@company.com.' }, 422);
    return routeEmail(ctx, d, parsed.data, { domainOnly: false, viaForm: true });
  });

  router.post('/login/:uid/password', pages.formBody, pages.verifyCsrf, async (ctx) => {
    const d = await details(ctx);
    if (!d) return;
    const body = ctx.request.body as Record<string, string>;
    const parsed = email.safeParse(body.email ?? '');
    if (!parsed.success || d.prompt.name !== 'login') return renderEmail(ctx, d, {});
    const address = parsed.data;
    const password = String(body.password ?? '');
    const ipLimit = await hitRateLimit(db, deps.ctx.clock, `signin:ip:${ctx.ip}`, IP_ATTEMPTS, WINDOW_MS);
    const accountLimit = await hitRateLimit(db, deps.ctx.clock, `signin:account:${address}`, ACCOUNT_ATTEMPTS, WINDOW_MS);
    if (!ipLimit.allowed || !accountLimit.allowed) {
      ctx.set('Retry-After', String(Math.max(ipLimit.retryAfterSeconds, accountLimit.retryAfterSeconds)));
      return refuse(ctx, d, 'rate_limited', { email: address }, 429);
    }
    const user = await findUserByEmail(db, address);
    const ok = user?.password_hash ? await verifyPassword(password, user.password_hash) : await verifyAgainstDecoy(password);
    if (!user || !ok) {
      const reason: SignInRefusal = !user ? 'unknown_email' : !user.password_hash ? 'no_password' : 'wrong_password';
      await uow((trx) => recordSignInRefusal(trx, call, { reason, clientId: String(d.params.client_id), email: address, userId: user?.id }));
      return renderPassword(ctx, d, { email: address, error: GENERIC_ERROR }, 401);
    }
    await resetRateLimit(db, `signin:account:${address}`);
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: user.id, amr: ['pwd'], remember: true } }, { mergeWithLastSubmission: false });
    ctx.respond = false;
  });

  router.post('/login/:uid/organization', pages.formBody, pages.verifyCsrf, async (ctx) => {
    const d = await details(ctx);
    if (!d) return;
    if (d.prompt.name === 'login') return renderEmail(ctx, d, {});
    const chosen = String((ctx.request.body as Record<string, string>).organization_id ?? '');
    return chooseOrganization(ctx, d, chosen || undefined);
  });

  return router;
}
