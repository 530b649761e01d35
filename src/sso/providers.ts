/**
 * The identity providers Gatehouse knows by name, and what each sends by default: the SAML attribute
 * names and OIDC claims to read a profile from, tried in order, spelled exactly as the IdP sends them.
 * Every fact comes from /work/shared/IDP-GUIDES.md; the comments name its section. The setup wizard's
 * text and logos live with the wizard (portal/), not here.
 */

export const PROVIDER_KEYS = [
  'okta',
  'entra',
  'google',
  'onelogin',
  'jumpcloud',
  'ping',
  'adfs',
  'auth0',
  'keycloak',
  'generic-saml',
  'generic-oidc',
] as const;

export type ProviderKey = (typeof PROVIDER_KEYS)[number];
export type Protocol = 'saml' | 'oidc';

/** Attribute (SAML) or claim (OIDC) names per profile field, the first one present wins. */
export interface FieldNames {
  email: readonly string[];
  firstName: readonly string[];
  lastName: readonly string[];
  groups: readonly string[];
}

export interface OidcDefaults extends FieldNames {
  /**
   * Accept the email when the ID token carries no `email_verified` at all. True only where the IdP
   * never sends the flag; where it sends a real one, its absence is not taken as a yes.
   */
  emailVerifiedTrusted: boolean;
}

export interface Provider {
  key: ProviderKey;
  name: string;
  protocols: readonly Protocol[];
  saml?: FieldNames;
  oidc?: OidcDefaults;
}

// Claim type URIs shared by Entra ID, AD FS and Auth0's SAML addon.
const WS_CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const CLAIM_EMAIL = `${WS_CLAIMS}/emailaddress`;
const CLAIM_GIVEN_NAME = `${WS_CLAIMS}/givenname`;
const CLAIM_SURNAME = `${WS_CLAIMS}/surname`;
const CLAIM_ENTRA_GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
const CLAIM_GROUP = 'http://schemas.xmlsoap.org/claims/Group';

// The names the guide recommends typing into IdPs where the admin names each attribute
// (Okta, Google, OneLogin, JumpCloud, Ping, Keycloak).
const PLAIN_SAML = { email: ['email'], firstName: ['firstName'], lastName: ['lastName'], groups: ['groups'] } as const;

// Standard OIDC claims (OpenID Connect Core 1.0 §5.1) with scopes `openid email profile`.
const STANDARD_OIDC = { email: ['email'], firstName: ['given_name'], lastName: ['family_name'] } as const;

const catalogue: { [K in ProviderKey]: Provider & { key: K } } = {
  okta: {
    key: 'okta',
    name: 'Okta',
    protocols: ['saml', 'oidc'],
    // "Okta" > "SAML app integration": no attribute statements by default; the recommended rows are
    // email / firstName / lastName and the Group Attribute Statement is named `groups`.
    saml: PLAIN_SAML,
    // "Okta" > "OIDC app integration": `email`, `email_verified`, `given_name`, `family_name`;
    // groups need a groups claim named `groups`.
    oidc: { ...STANDARD_OIDC, groups: ['groups'], emailVerifiedTrusted: false },
  },
  entra: {
    key: 'entra',
    name: 'Microsoft Entra ID',
    protocols: ['saml', 'oidc'],
    // "Microsoft Entra ID" > "SAML" > Attributes & Claims: the default claims of a non-gallery app,
    // and the group claim added with "Add a group claim".
    saml: { email: [CLAIM_EMAIL], firstName: [CLAIM_GIVEN_NAME], lastName: [CLAIM_SURNAME], groups: [CLAIM_ENTRA_GROUPS] },
    // "Microsoft Entra ID" > "OIDC: app registration": `email` only when the user has a mail attribute,
    // `preferred_username` (usually the UPN), `upn` as an optional claim; groups via "Add groups claim".
    // No `email_verified`, ever (cross-cutting fact 9): trusted, since Gatehouse only signs in emails
    // on the org's verified domains.
    oidc: { ...STANDARD_OIDC, email: ['email', 'preferred_username', 'upn'], groups: ['groups'], emailVerifiedTrusted: true },
  },
  google: {
    key: 'google',
    name: 'Google Workspace',
    protocols: ['saml', 'oidc'],
    // "Google Workspace" > "SAML: custom SAML app" step 4: nothing is sent unless mapped; recommended
    // email / firstName / lastName, group membership under an app attribute such as `groups`.
    saml: PLAIN_SAML,
    // "Google Workspace" > "OIDC (optional path)": `email`, `email_verified`, `given_name`,
    // `family_name`, `hd`; no groups claim.
    oidc: { ...STANDARD_OIDC, groups: [], emailVerifiedTrusted: false },
  },
  onelogin: {
    key: 'onelogin',
    name: 'OneLogin',
    protocols: ['saml', 'oidc'],
    // "OneLogin" > "SAML: SAML Custom Connector (Advanced)", Parameters tab: email / firstName /
    // lastName / groups, each added by the admin.
    saml: PLAIN_SAML,
    // "OneLogin" > "OIDC" names no claims: the "Generic OIDC provider" claims; the guide does not say
    // OneLogin omits `email_verified`, so its absence is not trusted.
    oidc: { ...STANDARD_OIDC, groups: ['groups'], emailVerifiedTrusted: false },
  },
  jumpcloud: {
    key: 'jumpcloud',
    name: 'JumpCloud',
    // "JumpCloud" documents SAML only; its OIDC apps use generic-oidc.
    protocols: ['saml'],
    // "JumpCloud" > "SAML: Custom SAML App", SSO tab: Attributes email / firstName / lastName;
    // Group Attributes "default memberOf", often renamed `groups`.
    saml: { ...PLAIN_SAML, groups: ['memberOf', 'groups'] },
  },
  ping: {
    key: 'ping',
    name: 'PingOne / PingFederate',
    protocols: ['saml', 'oidc'],
    // "PingOne (cloud) and PingFederate" > "PingOne SAML application" Attribute Mappings and
    // "PingFederate SP connection" attribute contract: email / firstName / lastName / groups.
    saml: PLAIN_SAML,
    // "PingOne OIDC": scopes `openid email profile`, a `groups` attribute mapping if needed; the guide
    // does not say PingOne omits `email_verified`, so its absence is not trusted.
    oidc: { ...STANDARD_OIDC, groups: ['groups'], emailVerifiedTrusted: false },
  },
  adfs: {
    key: 'adfs',
    name: 'AD FS',
    // "AD FS" documents SAML relying party trusts only.
    protocols: ['saml'],
    // "AD FS" > "Claim issuance rules": Send LDAP Attributes as Claims, outgoing claim types
    // E-Mail Address, Given Name, Surname, Group.
    saml: { email: [CLAIM_EMAIL], firstName: [CLAIM_GIVEN_NAME], lastName: [CLAIM_SURNAME], groups: [CLAIM_GROUP] },
  },
  auth0: {
    key: 'auth0',
    name: 'Auth0',
    protocols: ['saml', 'oidc'],
    // "Auth0" > "SAML2 Web App addon": default `mappings` email -> …/emailaddress,
    // given_name -> …/givenname, family_name -> …/surname, groups -> http://schemas.xmlsoap.org/claims/Group.
    saml: { email: [CLAIM_EMAIL], firstName: [CLAIM_GIVEN_NAME], lastName: [CLAIM_SURNAME], groups: [CLAIM_GROUP] },
    // "Auth0" > "OIDC": `email`, `email_verified`, `given_name`, `family_name`; groups only through an
    // Action with a namespaced claim name, which only a custom mapping can name.
    oidc: { ...STANDARD_OIDC, groups: [], emailVerifiedTrusted: false },
  },
  keycloak: {
    key: 'keycloak',
    name: 'Keycloak',
    protocols: ['saml', 'oidc'],
    // "Keycloak" > "SAML client", Mappers: User Property mappers email / firstName / lastName and a
    // Group list mapper `groups` (full paths such as `/engineering` by default).
    saml: PLAIN_SAML,
    // "Keycloak" > "OIDC client": `email_verified` is the user's real flag (often false for
    // admin-created users); groups from a Group Membership mapper, Token Claim Name `groups`.
    oidc: { ...STANDARD_OIDC, groups: ['groups'], emailVerifiedTrusted: false },
  },
  'generic-saml': {
    key: 'generic-saml',
    name: 'SAML 2.0',
    protocols: ['saml'],
    // "Generic SAML 2.0 IdP": the attribute names Gatehouse recognises by default, first match wins.
    saml: {
      email: ['email', 'mail', 'Email', 'emailAddress', CLAIM_EMAIL, 'urn:oid:0.9.2342.19200300.100.1.3'],
      firstName: ['firstName', 'givenName', 'given_name', CLAIM_GIVEN_NAME, 'urn:oid:2.5.4.42'],
      lastName: ['lastName', 'surname', 'sn', 'family_name', CLAIM_SURNAME, 'urn:oid:2.5.4.4'],
      groups: ['groups', 'memberOf', 'Group', CLAIM_ENTRA_GROUPS, CLAIM_GROUP],
    },
  },
  'generic-oidc': {
    key: 'generic-oidc',
    name: 'OpenID Connect',
    protocols: ['oidc'],
    // "Generic OIDC provider": `email`, `email_verified`, `given_name`, `family_name`, `groups` if configured.
    oidc: { ...STANDARD_OIDC, groups: ['groups'], emailVerifiedTrusted: false },
  },
};

export const providers: Readonly<Record<ProviderKey, Provider>> = Object.freeze(catalogue);

export function isProviderKey(key: string): key is ProviderKey {
  return (PROVIDER_KEYS as readonly string[]).includes(key);
}

/** The catalogue entry for a key, or undefined for a key Gatehouse does not know. */
export function findProvider(key: string): Provider | undefined {
  return isProviderKey(key) ? providers[key] : undefined;
}
