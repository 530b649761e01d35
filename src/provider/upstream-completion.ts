import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Call } from '../context.ts';
import type { Db } from '../db/database.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import type { Pages } from '../http/pages.ts';
import { applySsoGroups } from '../scim/group-mappings.service.ts';
import type { ConsumedTicket } from '../sso/login-tickets.ts';
import { recordSsoRefusal, renderRefusalPage, type SsoRefusal } from '../sso/refusals.ts';
import { signInWithTicket } from '../sso/upstream-sign-in.ts';
import { SCOPES } from './account.ts';
import { bindGrantOrganization } from './sign-in.service.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * The end of an upstream (SSO) sign-in inside the provider's interaction: the ticket's verified profile
 * is provisioned (sso/upstream-sign-in.ts) and its groups go through the org's group mappings
 * (scim/group-mappings.service.ts: sso/ and scim/ never import each other, so they meet here), the
 * grant is bound to the connection's org, and the interaction finishes with login and consent at once;
 * or the person sees why not.
 */
export function createUpstreamCompletion(deps: { provider: Provider; pages: Pages; db: Db; uow: UnitOfWork; call: Call }) {
  const { provider, pages, db, uow, call } = deps;

  const renderSsoRefusal = (ctx: Context, reason: SsoRefusal, organizationName: string | undefined) => renderRefusalPage(pages, ctx, reason, organizationName);

  return async function finishUpstream(ctx: Context, d: Details, consumed: ConsumedTicket): Promise<void> {
    const reference: string = ctx.state.requestId;
    const clientId = String(d.params.client_id);
    const wanted = d.params.organization as string | undefined;
    if (wanted && wanted !== consumed.ticket.organization_id) {
      const org = await db.selectFrom('organizations').select('name').where('id', '=', consumed.ticket.organization_id).executeTakeFirst();
      await uow((trx) => recordSsoRefusal(trx, call, consumed.ticket.organization_id, {
        connection_id: consumed.ticket.connection_id, reason: 'not_a_member', reference, detail: `The application asked for organization ${wanted}.`, email: consumed.profile.email,
      }));
      return renderSsoRefusal(ctx, 'not_a_member', org?.name);
    }
    const result = await uow(async (trx) => {
      const signedIn = await signInWithTicket(trx, call, consumed, reference);
      // The groups the IdP asserted apply the org's group mappings in the sign-in's own transaction,
      // before any token exists, so the first ID token already carries the mapped sites. No groups
      // attribute at all (null) says nothing about groups: mapped access stays as it is.
      const groups = consumed.profile.groups;
      if (signedIn.ok && groups !== null) await applySsoGroups(trx, call, signedIn.organization.id, signedIn.user.id, groups);
      return signedIn;
    });
    if (!result.ok) return renderSsoRefusal(ctx, result.reason, result.organization.name);
    const accountId = result.user.id;
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(String(d.params.scope ?? 'openid').split(' ').filter((s) => SCOPES.includes(s)).join(' '));
    const grantId = await grant.save();
    await uow((trx) => bindGrantOrganization(trx, call, { grantId, userId: accountId, organizationId: result.organization.id, clientId, method: 'sso', connectionId: result.connectionId }));
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId, amr: ['sso'], remember: true }, consent: { grantId } }, { mergeWithLastSubmission: false });
    ctx.respond = false;
  };
}
