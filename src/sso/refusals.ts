import type { Context } from 'koa';
import type { Call } from '../context.ts';
import type { Pages } from '../http/pages.ts';
import type { Executor } from '../db/database.ts';
import type { SsoSignInFailure } from '../events/catalogue.ts';
import { recordEvent } from '../events/activity.ts';
import type { JitRefusal } from '../users/jit-provisioning.ts';
import type { ProfileRefusal } from './attribute-mapping.ts';
import type { AssertionRefusal } from './saml/assertion-checks.ts';
import type { ValidationRefusal } from './saml/response-validator.ts';

/** Why an upstream sign-in was refused: one typed reason per check, as the activity log shows it. */
export type SsoRefusal =
  | ValidationRefusal | AssertionRefusal | ProfileRefusal | JitRefusal
  | 'in_response_to_unknown' | 'relay_state_mismatch' | 'replayed' | 'idp_initiated_disabled' | 'idp_initiated_no_client'
  | 'connection_inactive' | 'not_a_member'
  // OIDC
  | 'state_unknown' | 'idp_unreachable' | 'token_exchange_failed' | 'id_token_invalid';

const IDP_SETUP = 'Your identity provider sent the sign-in to a different address than Gatehouse expects.';
const ADMIN = 'Your IT admin needs to';

/**
 * What the person sees: what happened and who can fix it, never the assertion or the details (those go
 * to the activity log, under the reference shown on the page).
 */
export function refusalText(reason: SsoRefusal, organizationName: string): { title: string; message: string } {
  const t = (title: string, message: string) => ({ title, message });
  switch (reason) {
    case 'certificate_unknown':
      return t('Sign-in could not be verified', `Your identity provider signed this sign-in with a certificate ${organizationName} has not been given yet (it may have just been renewed). ${ADMIN} upload the identity provider's new signing certificate or metadata.`);
    case 'signature_invalid':
    case 'unsigned':
    case 'sha1_refused':
      return t('Sign-in could not be verified', `The answer from your identity provider was not signed the way Gatehouse requires (a SHA-256 signature by the configured certificate). ${ADMIN} check the signing settings of the SAML app.`);
    case 'audience_mismatch':
    case 'destination_mismatch':
    case 'recipient_mismatch':
    case 'issuer_mismatch':
      return t('Sign-in is misconfigured', `${IDP_SETUP} ${ADMIN} compare the entity id and ACS URL in the identity provider with the values Gatehouse shows for this connection.`);
    case 'expired':
    case 'not_yet_valid':
      return t('Sign-in expired', 'The answer from your identity provider was too old or from the future. Try again; if it keeps happening, your IT admin needs to check the identity provider\'s clock.');
    case 'replayed':
    case 'state_unknown':
    case 'in_response_to_unknown':
    case 'relay_state_mismatch':
    case 'in_response_to_mismatch':
      return t('This sign-in was already used', 'This sign-in link has already been used or has expired. Go back to the application and sign in again.');
    case 'idp_initiated_disabled':
    case 'idp_initiated_no_client':
      return t('Start from the application', `Signing in from the identity provider's app dashboard is not enabled for ${organizationName}. Open the application and sign in there.`);
    case 'connection_inactive':
      return t('Single sign-on is turned off', `Single sign-on for ${organizationName} is not active. ${ADMIN} finish setting it up or turn it back on.`);
    case 'email_missing':
    case 'email_invalid':
    case 'subject_missing':
      return t('Your email address was not sent', `Your identity provider did not send a usable email address for you. ${ADMIN} map the email attribute (and a NameID) in the SAML app.`);
    case 'email_unverified':
      return t('Email not verified', `Your identity provider says your email address is not verified. ${ADMIN} verify it or allow it for this connection.`);
    case 'email_outside_org_domains':
      return t('Email domain not allowed', `Your email address is not on a domain ${organizationName} has verified. ${ADMIN} verify your email's domain, or send your work address from the identity provider.`);
    case 'auto_provision_off':
      return t('No account yet', `${organizationName} only lets in people who were invited or provisioned. Ask your IT admin for access.`);
    case 'membership_disabled':
      return t('Access disabled', `Your access to ${organizationName} has been disabled. If you think this is a mistake, contact your IT admin.`);
    case 'not_a_member':
      return t('Wrong organization', `You signed in through ${organizationName}, but the application asked for another organization.`);
    case 'identity_conflict':
      return t('Account already linked', `Your email address is already linked to a different person in your identity provider. ${ADMIN} check which account sends this email address.`);
    case 'idp_error':
      return t('Your identity provider refused the sign-in', 'Your identity provider did not sign you in (you may not be assigned to this app). Contact your IT admin.');
    case 'idp_unreachable':
      return t('Your identity provider could not be reached', 'Gatehouse could not reach your identity provider to finish signing you in. Try again in a moment; if it keeps happening, contact your IT admin.');
    case 'token_exchange_failed':
      return t('Sign-in is misconfigured', `Your identity provider refused Gatehouse's request to finish the sign-in. ${ADMIN} check the client id and client secret of this connection.`);
    case 'id_token_invalid':
      return t('Sign-in could not be verified', `The answer from your identity provider could not be verified. ${ADMIN} check the connection's issuer and client id.`);
    case 'decryption_failed':
      return t('Sign-in could not be read', `The encrypted answer from your identity provider could not be decrypted. ${ADMIN} upload Gatehouse's current SP metadata (encryption certificate) to the identity provider.`);
    default:
      return t('Sign-in failed', `The answer from your identity provider could not be accepted. ${ADMIN} check the SAML app's settings.`);
  }
}

/** Records a refused upstream sign-in with everything an admin needs, under the page's reference. */
export async function recordSsoRefusal(db: Executor, call: Call, organizationId: string, failure: SsoSignInFailure): Promise<void> {
  await recordEvent(db, call.ctx.clock, {
    type: 'sso.signin_failed',
    organizationId,
    actor: failure.user_id ? { type: 'user', id: failure.user_id } : { type: 'system' },
    data: failure,
  });
}

/** The refusal page, with the request id as the reference the activity event carries. */
export function renderRefusalPage(pages: Pages, ctx: Context, reason: SsoRefusal, organizationName: string | undefined): void {
  pages.render(ctx, 'sso/refused.njk', { ...refusalText(reason, organizationName ?? 'your organization'), reference: ctx.state.requestId, organization: organizationName }, 403);
}
