import type { ProviderGuide } from './guide.ts';

// IDP-GUIDES.md "Auth0 (as the IdP)": SAML2 Web App addon and a Regular Web Application for OIDC.
export const auth0: ProviderGuide = {
  key: 'auth0',
  name: 'Auth0',
  logo: 'auth0.svg',
  saml: {
    steps: [
      {
        title: 'Create the application',
        body: ['In the Auth0 Dashboard, open Applications › Applications › Create Application and choose Regular Web Application.'],
      },
      {
        title: 'Turn on the SAML2 Web App addon',
        body: ['On the app\'s Addons tab, switch on SAML2 Web App. On its Settings tab, paste the ACS URL into Application Callback URL.'],
        values: [{ value: 'acs_url', label: 'Application Callback URL' }],
      },
      {
        title: 'Write the addon settings',
        body: [
          'In the Settings box, set "audience" to the SP entity id, and both "recipient" and "destination" to the ACS URL.',
          'Set "signatureAlgorithm" to "rsa-sha256" and "digestAlgorithm" to "sha256": the addon used to default to SHA-1.',
          'Set "nameIdentifierFormat" to urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress. Put http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress first in "nameIdentifierProbes", so the Name ID is the email, not the user_id.',
          'The default mappings already send email, given name, family name and groups under names Gatehouse reads. Click Enable or Save.',
        ],
        values: [
          { value: 'sp_entity_id', label: 'audience' },
          { value: 'acs_url', label: 'recipient and destination' },
        ],
      },
      {
        title: 'Enable the connections your users sign in with',
        body: ['Auth0 assigns users through connections: on the app\'s Connections tab, enable the database or enterprise connections whose users may sign in. Leave social connections off.'],
      },
    ],
    whereToFindIdpDetails: 'The addon\'s Usage tab: Identity Provider Metadata (download it, or use its URL, https://your-tenant-domain/samlp/metadata/ followed by the Client ID), or the Issuer, Identity Provider Login URL and Identity Provider Certificate.',
    certificateLifetime: 'long-lived, one certificate for the whole tenant',
    commonMistakes: [
      'The Name ID stayed the Auth0 user_id (auth0|…): set "nameIdentifierFormat" and "nameIdentifierProbes" as above.',
      'SHA-1 was left in place: set "signatureAlgorithm" and "digestAlgorithm" to SHA-256.',
      '"audience" does not match the SP entity id, which breaks sign-ins started from Auth0: set it explicitly.',
      'No connection is enabled for the application, so nobody can log in: enable one on its Connections tab.',
    ],
  },
  oidc: {
    steps: [
      {
        title: 'Create the application',
        body: ['In the Auth0 Dashboard, open Applications › Applications › Create Application and choose Regular Web Application.'],
      },
      {
        title: 'Enter the callback URL',
        body: ['On the Settings tab, paste the value below into Allowed Callback URLs and save.'],
        values: [{ value: 'redirect_uri', label: 'Allowed Callback URLs' }],
      },
      {
        title: 'Enable the connections your users sign in with',
        body: ['Auth0 assigns users through connections: on the app\'s Connections tab, enable the database or enterprise connections whose users may sign in.'],
      },
    ],
    whereToFindIdpDetails: 'The app\'s Settings tab: Domain, Client ID and Client Secret. The issuer is https:// followed by the Domain and a closing slash (your custom domain, if you use one).',
    commonMistakes: [
      'The issuer was entered without its closing slash: Auth0\'s issuer ends with one.',
      'Groups or roles were expected: Auth0 sends them only when an Action adds a namespaced claim, which you then name in the attribute mapping.',
      'No connection is enabled for the application: enable one on its Connections tab.',
    ],
  },
  diagnose: {
    sha1_refused: 'In Auth0, open the app › Addons › SAML2 Web App › Settings and set "signatureAlgorithm" to "rsa-sha256" and "digestAlgorithm" to "sha256".',
    audience_mismatch: 'In Auth0, open the app › Addons › SAML2 Web App › Settings and set "audience" to the SP entity id shown above.',
    recipient_mismatch: 'In Auth0, open the app › Addons › SAML2 Web App › Settings and set "recipient" to the ACS URL shown above.',
    destination_mismatch: 'In Auth0, open the app › Addons › SAML2 Web App › Settings and set "destination" to the ACS URL shown above.',
    certificate_unknown: 'The tenant signing key was rotated (Settings › Signing Keys): download the certificate or metadata from the addon\'s Usage tab again and add it here.',
    email_missing: 'No email arrived: check the user has one in Auth0, and that "nameIdentifierProbes" starts with the emailaddress claim.',
    email_outside_org_domains: 'The person came through a connection holding other addresses, such as a social login: enable only your company\'s connections on the app\'s Connections tab.',
    email_unverified: 'Auth0 marks this person\'s email as unverified: have them verify it, mark it verified on their user page in Auth0, or trust emails for this connection.',
    idp_error: 'Auth0 refused the sign-in, usually because the connection the person used is not enabled on the app\'s Connections tab.',
    token_exchange_failed: 'Auth0 refused the client: copy the Client ID and Client Secret from the app\'s Settings tab again.',
    id_token_invalid: 'Check that the issuer saved here uses the domain people sign in through (custom or tenant domain), with its closing slash.',
  },
};
