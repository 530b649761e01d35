import type { SignInRefusal } from '../../events/catalogue.ts';
import { refusalText, type SsoRefusal } from '../../sso/refusals.ts';

/**
 * Why Gatehouse's own sign-in pages refused someone (user.signin_failed), for the org's admin. The
 * person saw 'The email or password is incorrect' for the first three; the admin may know which.
 */
const SIGN_IN: Record<SignInRefusal, string> = {
  unknown_email: 'no account has this email address',
  no_password: 'the account has no password (it signs in through single sign-on, or never set one)',
  wrong_password: 'wrong password',
  rate_limited: 'too many attempts, sign-in paused for 15 minutes',
  sso_required: 'password sign-in is turned off, the organization requires single sign-on',
  membership_disabled: 'the person’s access to the organization is disabled',
  not_a_member: 'not a member of the organization the application asked for',
  no_membership: 'not a member of any organization',
  not_an_admin: 'not an administrator (the console is for administrators only)',
};

/**
 * Why an identity provider's answer was refused (sso.signin_failed), in the admin's terms: what to look
 * at in the IdP or the connection. The person's own page (sso/refusals.ts refusalText) says who can fix it.
 */
const SSO: Partial<Record<SsoRefusal, string>> = {
  malformed: 'the identity provider’s answer could not be read',
  doctype_refused: 'the answer contained a DOCTYPE or processing instruction, refused for safety',
  sha1_refused: 'the answer was signed with SHA-1, which Gatehouse refuses (use SHA-256)',
  unsigned: 'the answer was not signed',
  signature_invalid: 'the signature of the answer did not verify',
  certificate_unknown: 'signed by a certificate this connection does not trust (the identity provider may have a new one)',
  multiple_assertions: 'the answer held more than one assertion',
  assertion_missing: 'the answer held no assertion',
  assertion_id_missing: 'the assertion had no id',
  idp_error: 'the identity provider refused the sign-in (the person may not be assigned to the app)',
  decryption_failed: 'the encrypted assertion could not be decrypted (the IdP may have an old encryption certificate)',
  audience_mismatch: 'the audience is not this connection’s entity id',
  issuer_mismatch: 'the issuer is not the identity provider this connection expects',
  destination_mismatch: 'the answer was sent to another address than this connection’s ACS URL',
  recipient_mismatch: 'the Recipient is not this connection’s ACS URL',
  bearer_missing: 'the assertion had no bearer subject confirmation',
  expired: 'the answer had expired',
  not_yet_valid: 'the answer is not valid yet (check the identity provider’s clock)',
  in_response_to_mismatch: 'it answered a different sign-in request',
  in_response_to_unknown: 'it answered a sign-in request Gatehouse did not make, or one already finished',
  relay_state_mismatch: 'the RelayState did not match the sign-in',
  replayed: 'the same answer was used a second time',
  idp_initiated_disabled: 'it was started from the identity provider’s dashboard, which this connection does not allow',
  idp_initiated_no_client: 'it was started from the identity provider’s dashboard, but no application is set to receive it',
  connection_inactive: 'the connection is not active',
  not_a_member: 'not a member of the organization the application asked for',
  email_missing: 'the identity provider sent no email address',
  email_invalid: 'the email address sent is not a valid address',
  email_unverified: 'the identity provider says the email address is not verified',
  subject_missing: 'the identity provider sent no subject (NameID)',
  email_outside_org_domains: 'email outside the organization’s verified domains',
  auto_provision_off: 'no account yet, and only invited or provisioned people may join',
  membership_disabled: 'the person’s access to the organization is disabled',
  identity_conflict: 'the email address is already linked to a different identity at the identity provider',
  state_unknown: 'the sign-in state was unknown or already used',
  idp_unreachable: 'the identity provider could not be reached',
  token_exchange_failed: 'the identity provider refused the code exchange (check the client id and secret)',
  id_token_invalid: 'the ID token could not be verified',
};

export function signInRefusalReason(reason: string): string {
  return SIGN_IN[reason as SignInRefusal] ?? reason.replace(/_/g, ' ');
}

export function ssoRefusalReason(reason: string, organizationName: string): string {
  const known = SSO[reason as SsoRefusal];
  if (known) return known;
  // A reason added later without words here: the person's page title says at least what kind it was.
  return `${refusalText(reason as SsoRefusal, organizationName).title.toLowerCase()} (${reason.replace(/_/g, ' ')})`;
}
