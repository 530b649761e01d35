/**
 * Every event Gatehouse writes, `noun.verb` in the past tense, with its payload. The activity log, the
 * API's GET /events and (later) webhooks all carry exactly these.
 */
export interface EventCatalogue {
  'organization.created': { name: string };
  'organization.updated': { changes: Record<string, unknown> };
  'organization.deleted': { name: string };
  'domain.created': { domain_id: string; domain: string };
  'domain.verified': { domain_id: string; domain: string; method: 'dns_txt' | 'manual' };
  'domain.verification_failed': { domain_id: string; domain: string; reason: string };
  'domain.deleted': { domain_id: string; domain: string };
  'it_contact.created': { it_contact_id: string; email: string };
  'it_contact.deleted': { it_contact_id: string; email: string };
  'site.created': { site_id: string; name: string };
  'site.updated': { site_id: string; name: string; previous_name: string };
  'site.deleted': { site_id: string; name: string };
  'user.created': { user_id: string; email: string };
  'user.email_changed': { user_id: string; previous_email: string; email: string };
  'membership.created': { membership_id: string; user_id: string; role: string; source: string };
  'membership.updated': { membership_id: string; user_id: string; role: string; previous_role: string };
  'membership.disabled': { membership_id: string; user_id: string; disabled_by: string };
  'membership.enabled': { membership_id: string; user_id: string; enabled_by: string };
  'site_assignment.created': { site_id: string; user_id: string; role: string };
  'site_assignment.updated': { site_id: string; user_id: string; role: string; previous_role: string };
  'site_assignment.deleted': { site_id: string; user_id: string; role: string };
  'invitation.created': { invitation_id: string; email: string; role: string };
  'invitation.revoked': { invitation_id: string; email: string };
  'invitation.accepted': { invitation_id: string; email: string; user_id: string };
  'api_key.created': { api_key_id: string; name: string };
  'client.created': { client_id: string; name: string };
  'client.deleted': { client_id: string; name: string };
  'user.signed_in': { user_id: string; client_id: string; method: string; connection_id?: string };
  'user.signin_failed': { reason: SignInRefusal; client_id: string; email?: string; user_id?: string };
  'webhook.created': { webhook_id: string; url: string };
  'webhook.deleted': { webhook_id: string; url: string };
  'directory.created': { directory_id: string; provider: string };
  'directory.deleted': { directory_id: string };
  'directory.token_rotated': { directory_id: string };
  'directory.group_mappings_updated': { directory_id: string; mappings: number };
  'dsync.user.created': DsyncUser;
  'dsync.user.updated': DsyncUser;
  'dsync.user.disabled': DsyncUser;
  'dsync.user.enabled': DsyncUser;
  'dsync.user.deleted': DsyncUser;
  'dsync.user.refused': { directory_id: string; user_name: string; reason: string };
  'dsync.group.created': DsyncGroup;
  'dsync.group.updated': DsyncGroup & { members_added: number; members_removed: number };
  'dsync.group.deleted': DsyncGroup;
  'connection.created': { connection_id: string; type: string; provider: string };
  'connection.updated': { connection_id: string; fields: string[] };
  'connection.activated': { connection_id: string };
  // The setup wizard's test sign-in came back with a usable profile (no one is signed in or created).
  'connection.test_succeeded': { connection_id: string; email: string };
  'connection.deactivated': { connection_id: string };
  'connection.deleted': { connection_id: string; type: string };
  'connection.metadata_refreshed': { connection_id: string; certificates_added: number; certificates_removed: number };
  'connection.metadata_refresh_failed': { connection_id: string; reason: string; message: string };
  'sso.signin_failed': SsoSignInFailure;
  /** The IdP's answer was accepted and the person provisioned (then `user.signed_in` when the app gets them). */
  'sso.signin_succeeded': { connection_id: string; user_id: string; email: string; user_created: boolean };
  // The certificate monitor: an IdP signing certificate of an active SAML connection nears or passed its
  // notAfter (one event per certificate and threshold), and a connection gained a longer-lived one.
  'connection.certificate_expiring': { connection_id: string; fingerprint_sha256: string; not_after: string; days_until_expiry: number; newer_certificate: boolean };
  'connection.certificate_expired': { connection_id: string; fingerprint_sha256: string; not_after: string };
  'connection.certificate_renewed': { connection_id: string; fingerprint_sha256: string; not_after: string };
  // Gatehouse's own SAML SP certificates (organization_id null: the operator renews them).
  'saml_sp_key.certificate_expiring': { sp_key_id: string; use: string; fingerprint_sha256: string; not_after: string; days_until_expiry: number };
  'saml_sp_key.certificate_expired': { sp_key_id: string; use: string; fingerprint_sha256: string; not_after: string };
  'saml_sp_key.rotated': { added: string[]; retired: string[]; unpublish_after: string };
  'portal_link.created': { portal_link_id: string; intent: string };
  'portal_link.revoked': { portal_link_id: string; intent: string };
  'portal_link.opened': { portal_link_id: string; intent: string };
  // The setup wizard: a fresh link for the same intent mailed to a colleague (`sent_from`: the link whose
  // session asked), and a signing certificate added or removed by the customer's IT admin.
  'portal_link.sent': { portal_link_id: string; intent: string; email: string; sent_from: string };
  'connection.certificate_added': { connection_id: string; fingerprint_sha256: string; not_after: string };
  'connection.certificate_removed': { connection_id: string; fingerprint_sha256: string; not_after: string };
}

/** A refused upstream sign-in (SAML response or OIDC callback), with what an admin needs to fix it. */
export interface SsoSignInFailure {
  connection_id: string;
  reason: string;
  /** The reference id shown on the person's error page. */
  reference: string;
  /** What went wrong, for the admin (never the raw assertion). */
  detail: string;
  email?: string;
  user_id?: string;
  /** The certificate that signed the response when the connection does not trust it (the IdP rotated its key?). */
  certificate?: { fingerprint_sha256: string; not_after: string; subject: string };
}

interface DsyncUser {
  directory_id: string;
  scim_user_id: string;
  user_id: string;
  user_name: string;
}

interface DsyncGroup {
  directory_id: string;
  group_id: string;
  display_name: string;
}

/** Why a sign-in was refused, as the activity log shows it. */
export type SignInRefusal =
  | 'unknown_email' | 'no_password' | 'wrong_password' | 'rate_limited' | 'sso_required'
  | 'membership_disabled' | 'not_a_member' | 'no_membership' | 'not_an_admin';

export type EventType = keyof EventCatalogue;

export const EVENT_TYPES = [
  'organization.created', 'organization.updated', 'organization.deleted',
  'domain.created', 'domain.verified', 'domain.verification_failed', 'domain.deleted',
  'it_contact.created', 'it_contact.deleted',
  'site.created', 'site.updated', 'site.deleted',
  'user.created', 'user.email_changed', 'membership.created', 'membership.updated', 'membership.disabled', 'membership.enabled',
  'site_assignment.created', 'site_assignment.updated', 'site_assignment.deleted',
  'invitation.created', 'invitation.revoked', 'invitation.accepted',
  'api_key.created', 'client.created', 'client.deleted', 'user.signed_in', 'user.signin_failed',
  'webhook.created', 'webhook.deleted',
  'directory.created', 'directory.deleted', 'directory.token_rotated', 'directory.group_mappings_updated',
  'dsync.user.created', 'dsync.user.updated', 'dsync.user.disabled', 'dsync.user.enabled', 'dsync.user.deleted', 'dsync.user.refused',
  'dsync.group.created', 'dsync.group.updated', 'dsync.group.deleted',
  'connection.created', 'connection.updated', 'connection.activated', 'connection.test_succeeded', 'connection.deactivated', 'connection.deleted',
  'connection.metadata_refreshed', 'connection.metadata_refresh_failed', 'sso.signin_failed', 'sso.signin_succeeded',
  'connection.certificate_expiring', 'connection.certificate_expired', 'connection.certificate_renewed',
  'saml_sp_key.certificate_expiring', 'saml_sp_key.certificate_expired', 'saml_sp_key.rotated',
  'portal_link.created', 'portal_link.revoked', 'portal_link.opened', 'portal_link.sent',
  'connection.certificate_added', 'connection.certificate_removed',
] as const satisfies readonly EventType[];

/** Who did it. `operator` is the CLI; `system` is Gatehouse itself (schedules). */
export type Actor =
  | { type: 'api_key'; id: string }
  | { type: 'user'; id: string }
  | { type: 'directory'; id: string }
  // The customer's IT admin in the setup wizard, known only by the portal link that opened the session.
  | { type: 'portal'; id: string }
  | { type: 'operator'; id?: undefined }
  | { type: 'system'; id?: undefined };
