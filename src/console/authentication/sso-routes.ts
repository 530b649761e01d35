import type { Context } from 'koa';
import { AppError, isRefusal } from '../../http/errors.ts';
import { emailDomain } from '../../orgs/domain-name.ts';
import { verifiedOwner } from '../../orgs/domains.service.ts';
import { adminCall, adminOf, formField, queryField } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { AUTHENTICATION_PATH } from '../console-view.ts';
import { renderAuthentication } from './authentication.page.ts';
import { openPortalInNewTab } from './sso-portal-link.ts';
import { assertCanEnforce, protocolLabel, providerLabel, saveSsoSwitches, type SsoSwitches, switchesMessage } from './sso-switches.ts';

/**
 * The SSO section's forms, under /console/settings/authentication:
 *   POST sso/setup            Configure SSO / Continue SSO setup: a fresh `sso` portal link, in a new tab
 *   POST sso/settings         the auto-provisioning and enforce-SSO switches
 *   GET  sso/enforce          turning enforcement on asks first (passwords stop working)
 *   POST sso/enforce          ...and then does it
 *   POST certificates/renew   the banner's Renew certificate: a fresh `certificate_renewal` link, in a new tab
 */
export function registerSsoRoutes(consoleRouter: ConsoleRouter): void {
  const { router, page, form, deps } = consoleRouter;
  const sso = `${AUTHENTICATION_PATH}/sso`;
  const back = `${AUTHENTICATION_PATH}#sso`;

  // A refused switch shows what is stored (it says "Nothing was changed"), not the position it was moved to.
  const refuse = (ctx: Context, error: AppError) =>
    renderAuthentication(consoleRouter, ctx, { section: 'sso', values: {}, errors: { [error.errors[0]?.field ?? 'switches']: error.message } }, error.status);

  router.post(`${sso}/setup`, ...form, (ctx) => openPortalInNewTab(consoleRouter, ctx, 'sso', { section: 'sso', field: 'setup' }));

  router.post(`${AUTHENTICATION_PATH}/certificates/renew`, ...form, (ctx) => openPortalInNewTab(consoleRouter, ctx, 'certificate_renewal', { section: 'sso', field: 'renew' }));

  router.post(`${sso}/settings`, ...form, async (ctx) => {
    const org = adminOf(ctx).organization;
    // A checkbox sends its name only when ticked.
    const wanted: SsoSwitches = { auto_provision: formField(ctx, 'auto_provision') !== '', enforce_sso: formField(ctx, 'enforce_sso') !== '' };
    try {
      if (wanted.enforce_sso && !org.enforce_sso) {
        // Asked first, on its own page; nothing of this form is saved until the admin confirms there.
        await assertCanEnforce(deps.db, org);
        ctx.status = 303;
        return ctx.redirect(`${sso}/enforce?auto_provision=${wanted.auto_provision ? '1' : '0'}`);
      }
      const { changed } = await deps.uow((trx) => saveSsoSwitches(trx, adminCall(ctx, deps.ctx), org.id, wanted));
      consoleRouter.done(ctx, back, switchesMessage(changed, wanted), changed.length ? 'success' : 'info');
    } catch (error) {
      if (!isRefusal(error)) throw error;
      await refuse(ctx, error);
    }
  });

  router.get(`${sso}/enforce`, page, async (ctx) => {
    const org = adminOf(ctx).organization;
    if (org.enforce_sso) return consoleRouter.done(ctx, back, 'Single sign-on is already required.', 'info');
    try {
      const connection = await assertCanEnforce(deps.db, org);
      await consoleRouter.render(ctx, 'console/authentication/sso-enforce.njk', 'authentication', {
        connection: { name: connection.name, provider: providerLabel(connection), protocol: protocolLabel(connection.type) },
        // The auto-provisioning choice of the form that led here, carried through the confirmation.
        auto_provision: ['0', '1'].includes(queryField(ctx, 'auto_provision')) ? queryField(ctx, 'auto_provision') : '',
        cancel: back,
        // Required SSO with the admin's own address off the org's verified domains: no way back in for them.
        own_address_outside: (await verifiedOwner(deps.db, emailDomain(adminOf(ctx).user.email))) !== org.id,
      });
    } catch (error) {
      if (!isRefusal(error)) throw error;
      await refuse(ctx, error);
    }
  });

  router.post(`${sso}/enforce`, ...form, async (ctx) => {
    const org = adminOf(ctx).organization;
    const carried = formField(ctx, 'auto_provision');
    const wanted: SsoSwitches = { auto_provision: carried === '' ? org.auto_provision === 1 : carried === '1', enforce_sso: true };
    try {
      const { changed } = await deps.uow((trx) => saveSsoSwitches(trx, adminCall(ctx, deps.ctx), org.id, wanted));
      consoleRouter.done(ctx, back, switchesMessage(changed, wanted), changed.length ? 'success' : 'info');
    } catch (error) {
      if (!isRefusal(error)) throw error;
      await refuse(ctx, error);
    }
  });
}
