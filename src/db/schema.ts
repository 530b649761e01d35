import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Row types, kept by hand in step with migrations/ (test/db/schema.test.ts checks they agree).
 * SQLite stores booleans as 0/1 and times as ISO text; mappers in each feature turn rows into API shapes.
 */
export interface OrganizationTable {
  id: string;
  name: string;
  sso_entitled: number;
  auto_provision: number;
  enforce_sso: number;
  created_at: string;
  updated_at: string;
}

export type DomainState = 'pending' | 'verified' | 'failed';

export interface DomainTable {
  id: string;
  organization_id: string;
  domain: string;
  state: DomainState;
  verification_value: string;
  verification_method: 'dns_txt' | 'manual' | null;
  failure_reason: string | null;
  last_checked_at: string | null;
  last_check_error: string | null;
  verified_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface UserTable {
  id: string;
  email: string;
  email_verified: number;
  first_name: string | null;
  last_name: string | null;
  /** scrypt hash (see users/passwords.ts); null for people who only sign in through SSO. */
  password_hash: string | null;
  password_set_at: string | null;
  created_at: string;
  updated_at: string;
}

export type OrgRole = 'member' | 'admin';
export type MembershipState = 'active' | 'disabled';
export type DisabledBy = 'admin' | 'directory';
export type MembershipSource = 'invitation' | 'sso' | 'directory' | 'api';

export interface MembershipTable {
  id: string;
  organization_id: string;
  user_id: string;
  role: OrgRole;
  state: MembershipState;
  disabled_by: DisabledBy | null;
  disabled_at: string | null;
  source: MembershipSource;
  /**
   * default: the role the membership was created with, that nobody chose since (a mapping may change it);
   * manual: set by a person (a mapping never changes it); group_mapping: set by a group mapping.
   */
  role_source: RoleSource;
  created_at: string;
  updated_at: string;
}

export interface ItContactTable {
  id: string;
  organization_id: string;
  email: string;
  name: string | null;
  user_id: string | null;
  notice_mail_id: string | null;
  created_at: string;
}

export interface SiteTable {
  id: string;
  organization_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export type AssignmentSource = 'manual' | 'group_mapping';
export type RoleSource = 'default' | 'manual' | 'group_mapping';

export interface SiteAssignmentTable {
  id: string;
  organization_id: string;
  site_id: string;
  user_id: string;
  role: string;
  source: AssignmentSource;
  created_at: string;
  updated_at: string;
}

export type InvitationState = 'pending' | 'accepted' | 'revoked';

export interface InvitationTable {
  id: string;
  organization_id: string;
  email: string;
  role: OrgRole;
  state: InvitationState;
  token_lookup: string;
  token_hash: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_user_id: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface ApiKeyTable {
  id: string;
  name: string;
  token_lookup: string;
  token_hash: string;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface EventTable {
  id: string;
  type: string;
  organization_id: string | null;
  actor_type: string;
  actor_id: string | null;
  data: string;
  created_at: string;
}

export type MailStatus = 'pending' | 'sent' | 'failed' | 'cancelled';

export interface MailOutboxTable {
  id: string;
  kind: string;
  organization_id: string | null;
  to_address: string;
  subject: string;
  body_sealed: string | null;
  status: MailStatus;
  attempts: Generated<number>;
  next_attempt_at: string;
  last_error: string | null;
  sent_at: string | null;
  created_at: string;
}

export interface OidcPayloadTable {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: string | null;
  consumed_at: string | null;
}

export interface SigningKeyTable {
  kid: string;
  alg: 'RS256' | 'ES256';
  private_jwk_sealed: string;
  created_at: string;
  retired_at: string | null;
  unpublish_after: string | null;
}

export interface OidcClientTable {
  id: string;
  client_id: string;
  name: string;
  secret_hash: string | null;
  public: number;
  /** JSON arrays of strings. */
  redirect_uris: string;
  post_logout_redirect_uris: string;
  initiate_login_uri: string | null;
  allowed_origins: string;
  builtin: number;
  created_at: string;
}

export interface GrantOrganizationTable {
  grant_id: string;
  user_id: string;
  organization_id: string;
  expires_at: string | null;
  created_at: string;
}

export interface RateLimitTable {
  key: string;
  window_start: string;
  count: number;
}

export interface DirectoryTable {
  id: string;
  organization_id: string;
  name: string;
  provider: string;
  state: 'active' | 'inactive';
  token_lookup: string;
  token_hash: string;
  token_rotated_at: string;
  last_request_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ScimUserTable {
  id: string;
  directory_id: string;
  user_id: string;
  user_name: string;
  user_name_key: string;
  external_id: string | null;
  active: number;
  given_name: string | null;
  family_name: string | null;
  display_name: string | null;
  raw: string;
  version: number;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ScimUserEmailTable {
  scim_user_id: string;
  position: number;
  value: string;
  value_key: string;
  type: string | null;
  primary: number;
}

export interface ScimGroupTable {
  id: string;
  directory_id: string;
  display_name: string;
  display_name_key: string;
  external_id: string | null;
  raw: string;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface ScimGroupMemberTable {
  group_id: string;
  scim_user_id: string;
}

export interface GroupMappingTable {
  id: string;
  directory_id: string;
  group_ref: string;
  org_role: OrgRole | null;
  /** JSON array of {site_id, role}. */
  sites: string;
  position: number;
  created_at: string;
}

export interface WebhookEndpointTable {
  id: string;
  url: string;
  events: string;
  secret_sealed: string;
  created_at: string;
}

export interface WebhookDeliveryTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: Generated<number>;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_response: string | null;
  delivered_at: string | null;
  created_at: string;
}

export type ConnectionType = 'saml' | 'oidc';
export type ConnectionState = 'draft' | 'active' | 'inactive';

export interface ConnectionTable {
  id: string;
  organization_id: string;
  type: ConnectionType;
  provider: string;
  name: string;
  state: ConnectionState;
  /** JSON {email?, firstName?, lastName?, groups?}. */
  attribute_mapping: string;
  idp_initiated: number;
  idp_initiated_client_id: string | null;
  saml_idp_entity_id: string | null;
  saml_sso_url: string | null;
  saml_sso_binding: 'redirect' | 'post' | null;
  saml_metadata_url: string | null;
  saml_metadata_fetched_at: string | null;
  saml_metadata_error: string | null;
  oidc_issuer: string | null;
  oidc_client_id: string | null;
  oidc_client_secret_sealed: string | null;
  /** Space-separated. */
  oidc_scopes: string | null;
  /** 1/0, or null for the provider's default. */
  oidc_trust_emails: number | null;
  activated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConnectionCertificateTable {
  id: string;
  connection_id: string;
  pem: string;
  fingerprint_sha256: string;
  subject: string;
  not_before: string;
  not_after: string;
  source: 'metadata' | 'manual';
  created_at: string;
}

export interface SsoIdentityTable {
  id: string;
  connection_id: string;
  subject: string;
  user_id: string;
  last_sign_in_at: string | null;
  created_at: string;
}

export interface SamlSpKeyTable {
  id: string;
  use: 'signing' | 'encryption';
  private_key_sealed: string;
  certificate_pem: string;
  not_after: string;
  created_at: string;
  retired_at: string | null;
  unpublish_after: string | null;
}

export type UpstreamPurpose = 'sign_in' | 'test';

export interface SamlRequestTable {
  id: string;
  connection_id: string;
  interaction_uid: string | null;
  purpose: UpstreamPurpose;
  relay_state: string;
  expires_at: string;
  created_at: string;
}

export interface OidcRequestTable {
  state: string;
  connection_id: string;
  interaction_uid: string | null;
  purpose: UpstreamPurpose;
  nonce: string;
  code_verifier_sealed: string;
  expires_at: string;
  created_at: string;
}

export interface SamlReplayTable {
  connection_id: string;
  assertion_id: string;
  expires_at: string;
}

export interface LoginTicketTable {
  id: string;
  token_lookup: string;
  token_hash: string;
  connection_id: string;
  organization_id: string;
  purpose: UpstreamPurpose;
  interaction_uid: string | null;
  client_id: string | null;
  profile_sealed: string;
  expires_at: string;
  consumed_at: string | null;
  created_at: string;
}

export type PortalIntent = 'sso' | 'dsync' | 'domain_verification' | 'certificate_renewal';

export interface PortalLinkTable {
  id: string;
  organization_id: string;
  intent: PortalIntent;
  token_lookup: string;
  token_hash: string;
  return_url: string | null;
  expires_at: string;
  opened_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface PortalSessionTable {
  id: string;
  link_id: string;
  organization_id: string;
  intent: PortalIntent;
  token_lookup: string;
  token_hash: string;
  expires_at: string;
  created_at: string;
}

/** An expiry alert of the certificate monitor (sent) or a threshold it skipped (covered). */
export interface CertificateAlertTable {
  /** The connection (conn_…) or Gatehouse SP key (spk_…) the certificate belongs to. */
  target_id: string;
  fingerprint_sha256: string;
  threshold: string;
  status: 'sent' | 'covered';
  not_after: string;
  created_at: string;
}

export interface LeaseTable {
  name: string;
  holder: string;
  expires_at: string;
}

export interface Database {
  organizations: OrganizationTable;
  domains: DomainTable;
  users: UserTable;
  memberships: MembershipTable;
  it_contacts: ItContactTable;
  sites: SiteTable;
  site_assignments: SiteAssignmentTable;
  invitations: InvitationTable;
  api_keys: ApiKeyTable;
  events: EventTable;
  mail_outbox: MailOutboxTable;
  oidc_payloads: OidcPayloadTable;
  signing_keys: SigningKeyTable;
  oidc_clients: OidcClientTable;
  rate_limits: RateLimitTable;
  grant_organizations: GrantOrganizationTable;
  directories: DirectoryTable;
  scim_users: ScimUserTable;
  scim_user_emails: ScimUserEmailTable;
  scim_groups: ScimGroupTable;
  scim_group_members: ScimGroupMemberTable;
  group_mappings: GroupMappingTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_deliveries: WebhookDeliveryTable;
  connections: ConnectionTable;
  connection_certificates: ConnectionCertificateTable;
  sso_identities: SsoIdentityTable;
  saml_sp_keys: SamlSpKeyTable;
  saml_requests: SamlRequestTable;
  saml_replay: SamlReplayTable;
  oidc_requests: OidcRequestTable;
  portal_links: PortalLinkTable;
  portal_sessions: PortalSessionTable;
  login_tickets: LoginTicketTable;
  certificate_alerts: CertificateAlertTable;
  leases: LeaseTable;
}

export type WebhookEndpoint = Selectable<WebhookEndpointTable>;
export type WebhookDelivery = Selectable<WebhookDeliveryTable>;

export type Connection = Selectable<ConnectionTable>;
export type ConnectionCertificate = Selectable<ConnectionCertificateTable>;
export type LoginTicket = Selectable<LoginTicketTable>;
export type PortalLink = Selectable<PortalLinkTable>;
export type PortalSession = Selectable<PortalSessionTable>;
export type Directory = Selectable<DirectoryTable>;
export type ScimUser = Selectable<ScimUserTable>;
export type ScimGroup = Selectable<ScimGroupTable>;

export type Organization = Selectable<OrganizationTable>;
export type Domain = Selectable<DomainTable>;
export type User = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
export type Membership = Selectable<MembershipTable>;
export type ItContact = Selectable<ItContactTable>;
export type Site = Selectable<SiteTable>;
export type SiteAssignment = Selectable<SiteAssignmentTable>;
export type Invitation = Selectable<InvitationTable>;
export type ApiKey = Selectable<ApiKeyTable>;
export type EventRow = Selectable<EventTable>;
export type MailRow = Selectable<MailOutboxTable>;
export type OidcClient = Selectable<OidcClientTable>;
export type SigningKey = Selectable<SigningKeyTable>;
