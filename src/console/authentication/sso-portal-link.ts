import type { Context } from 'koa';
import type { PortalIntent } from '../../db/schema.ts';
import { isRefusal } from '../../http/errors.ts';
import { createPortalLink } from '../../portal/portal-links.service.ts';
import { adminCall, adminOf } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { AUTHENTICATION_PATH } from '../console-view.ts';
import { renderAuthentication, type SectionForm } from './authentication.page.ts';

/** The plan switch is the operator's; the admin is told whom to ask rather than which field to set. */
export const notEntitledMessage = (orgName: string): string =>
  `Single sign-on is not part of ${orgName}'s plan. To add it, ask the team that runs the application you use Gatehouse through.`;

/**
 * The console's "open the setup wizard" buttons (Configure SSO, Set up directory sync, Renew certificate)
 * are forms posting into a new tab: each click makes a fresh single-use portal link (never one rendered
 * into the page, where it could be spent by a prefetch or leak through history) and sends that tab on to it.
 * The link's rules (entitlement, a verified domain and an IT contact for `sso`) are the portal service's:
 * whatever the button looked like, a link the rules refuse is not made, and the tab says why.
 */
export async function openPortalInNewTab(consoleRouter: ConsoleRouter, ctx: Context, intent: PortalIntent, refusal: { section: SectionForm['section']; field: string }): Promise<void> {
  const { uow, ctx: service } = consoleRouter.deps;
  const organization = adminOf(ctx).organization;
  // The wizard's "Back to the application" comes back to this page (the base URL, never the Host header).
  const returnUrl = `${service.config.baseUrl}${AUTHENTICATION_PATH}`;
  try {
    const { link } = await uow((trx) => createPortalLink(trx, adminCall(ctx, service), { organizationId: organization.id, intent, returnUrl }));
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.status = 303;
    ctx.redirect(link);
  } catch (error) {
    if (!isRefusal(error)) throw error;
    const message = error.code === 'sso_not_entitled' ? notEntitledMessage(organization.name) : error.message;
    await renderAuthentication(consoleRouter, ctx, { section: refusal.section, values: {}, errors: { [refusal.field]: message } }, error.status);
  }
}
