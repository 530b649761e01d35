import type { ProviderGuide } from './guide.ts';

// Recipient and Destination are both the ACS URL, and are fixed in the same field.
const acsUrlFix =
  'In Keycloak, open Clients › the client and set Master SAML Processing URL (Settings) and Assertion Consumer Service POST Binding URL (Advanced) to the ACS URL shown above.';

// IDP-GUIDES.md "Keycloak": SAML client and OIDC client in a realm.
export const keycloak: ProviderGuide = {
  key: 'keycloak',
  name: 'Keycloak',
  logo: 'keycloak.svg',
  saml: {
    steps: [
      {
        title: 'Create the SAML client',
        body: ['In the admin console, pick the realm and open Clients › Create client. Set Client type to SAML and paste the SP entity id as Client ID; it must match exactly. Click Next, then Save.'],
        values: [{ value: 'sp_entity_id', label: 'Client ID' }],
      },
      {
        title: 'Fill in the Settings and Advanced tabs',
        body: [
          'On the Settings tab, paste the ACS URL into Valid redirect URIs and Master SAML Processing URL. Set Name ID format to email and turn Force name ID format on.',
          'Keep Force POST binding, Include AuthnStatement and Sign documents on, with Signature algorithm RSA_SHA256. Leave IDP-Initiated SSO URL name empty unless people start from Keycloak.',
          'On the Advanced tab, paste the ACS URL into Assertion Consumer Service POST Binding URL too.',
        ],
        values: [
          { value: 'acs_url', label: 'Valid redirect URIs' },
          { value: 'acs_url', label: 'Master SAML Processing URL' },
          { value: 'acs_url', label: 'Assertion Consumer Service POST Binding URL' },
        ],
      },
      {
        title: 'Fix Client signature required',
        body: ['On the Keys tab, Client signature required is on with a key pair Keycloak generated itself, so every sign-in fails. Switch it off, or import the Gatehouse signing certificate there. Keep Encrypt assertions off.'],
      },
      {
        title: 'Add the mappers',
        body: [
          'A new client sends almost nothing. Open Client scopes › the client\'s dedicated scope › Add mapper › By configuration.',
          'Add a User Property mapper for each of email, firstName and lastName, with the same SAML Attribute Name and NameFormat Basic.',
          'For groups, add a Group list mapper with Group attribute name groups and Single Group Attribute on. Turn Full group path off to send engineering rather than /engineering.',
        ],
        values: [{ value: 'attribute_names', label: 'SAML Attribute Name' }],
      },
      {
        title: 'Check who can sign in',
        body: ['Keycloak does not ask you to assign users to a client: every enabled user of the realm can use it. Gatehouse admits only addresses on your verified domains.'],
      },
    ],
    whereToFindIdpDetails: 'Realm settings › General › Endpoints › SAML 2.0 Identity Provider Metadata (its URL ends in /protocol/saml/descriptor). Before Keycloak 17 the URL has /auth before /realms.',
    certificateLifetime: '10 years',
    commonMistakes: [
      'Client signature required is still on with Keycloak\'s own key pair: switch it off, or import the Gatehouse certificate.',
      'Client ID differs from the SP entity id: make them identical.',
      'The ACS URL is missing from Valid redirect URIs or Master SAML Processing URL: add it to both.',
      'No mappers were added, so no email or names arrive and the Name ID is the username: add the mappers.',
      'Groups arrive as /engineering: turn Full group path off, or use that form in the group mappings.',
      'URLs were copied with /auth on Keycloak 17 or later: remove it.',
    ],
  },
  oidc: {
    steps: [
      {
        title: 'Create the OpenID Connect client',
        body: [
          'Open Clients › Create client, set Client type to OpenID Connect, enter a Client ID and click Next.',
          'Under Capability config, turn Client authentication on and keep Standard flow ticked. Click Next.',
        ],
      },
      {
        title: 'Enter the redirect URI',
        body: ['Under Login settings, paste the value below into Valid redirect URIs and Save.'],
        values: [{ value: 'redirect_uri', label: 'Valid redirect URIs' }],
      },
      {
        title: 'Send groups (optional)',
        body: ['In the client\'s dedicated scope, add a Group Membership mapper with Token Claim Name groups.'],
      },
      {
        title: 'Check who can sign in',
        body: ['Keycloak does not ask you to assign users to a client. Make sure each person\'s email is marked verified: users created by an admin often are not.'],
      },
    ],
    whereToFindIdpDetails: 'The issuer is https://your-host/realms/your-realm (with /auth before /realms before Keycloak 17). The Client Secret is on the client\'s Credentials tab.',
    commonMistakes: [
      'Users created by an admin have email_verified false, so Gatehouse refuses them: mark their emails verified, or trust emails for this connection.',
      'Client authentication was left off, which makes a public client without a secret: turn it on.',
      'The issuer was copied with /auth on Keycloak 17 or later: remove it.',
    ],
  },
  diagnose: {
    audience_mismatch: 'In Keycloak, the client\'s Client ID must be exactly the SP entity id shown above: fix it under Clients.',
    recipient_mismatch: acsUrlFix,
    destination_mismatch: acsUrlFix,
    issuer_mismatch: 'The realm\'s entity id is https://your-host/realms/your-realm: read the SAML descriptor again, without /auth on Keycloak 17 or later.',
    sha1_refused: 'On the client\'s Settings tab, set Signature algorithm to RSA_SHA256; the SHA1 variants are deprecated.',
    unsigned: 'Nothing was signed: turn on Sign documents (or Sign assertions) on the client\'s Settings tab.',
    certificate_unknown: 'The realm\'s active key changed: read the SAML 2.0 Identity Provider Metadata again, or copy the RS256 Certificate from Realm settings › Keys and add it here.',
    email_missing: 'Add a User Property mapper for email (SAML Attribute Name email) in the client\'s dedicated scope, or set Name ID format to email with Force name ID format on.',
    email_unverified: 'Keycloak says the email is unverified, as for most users an admin created: turn Email verified on for the user, or trust emails for this connection.',
    expired: 'The Keycloak server\'s clock is off: synchronise its time, and the Gatehouse server\'s, then try again.',
    not_yet_valid: 'The Keycloak server\'s clock is ahead: synchronise its time, and the Gatehouse server\'s, then try again.',
    idp_error: 'Keycloak refused the request: switch Client signature required off on the Keys tab (or import the Gatehouse certificate), and check the ACS URL is in Valid redirect URIs.',
    idp_initiated_disabled: 'The sign-in started from Keycloak\'s IDP-Initiated SSO URL: start from the application, or allow IdP-initiated sign-in for this connection.',
    token_exchange_failed: 'Keycloak refused the client: copy the Client Secret from the Credentials tab again, and check Client authentication is on.',
  },
};
