import type { ProviderGuide } from './guide.ts';

// IDP-GUIDES.md "OneLogin": SAML Custom Connector (Advanced) and the OpenId Connect (OIDC) connector.
export const onelogin: ProviderGuide = {
  key: 'onelogin',
  name: 'OneLogin',
  logo: 'onelogin.svg',
  saml: {
    steps: [
      {
        title: 'Add the SAML connector',
        body: ['In OneLogin administration, open Applications › Applications › Add App, search for "SAML Custom" and pick SAML Custom Connector (Advanced). Enter a Display Name and Save.'],
      },
      {
        title: 'Fill in the Configuration tab',
        body: [
          'Paste the values below: Recipient and ACS (Consumer) URL both take the ACS URL.',
          'ACS (Consumer) URL Validator takes a regular expression: the ACS URL with ^ before it, $ after it, and a backslash before every dot, slash and question mark.',
          'Set SAML nameID format to Email, SAML issuer type to Specific and SAML signature element to Assertion (or Both). Leave Encrypt assertion off and Save.',
        ],
        values: [
          { value: 'sp_entity_id', label: 'Audience (EntityID)' },
          { value: 'acs_url', label: 'Recipient' },
          { value: 'acs_url', label: 'ACS (Consumer) URL' },
        ],
      },
      {
        title: 'Add the parameters',
        body: [
          'OneLogin sends only the NameID until you add parameters. On the Parameters tab, use Add parameter for email (Email), firstName (First Name), lastName (Last Name) and groups (User Roles, or a multi-value group field).',
          'Tick Include in SAML assertion for each one, and keep the NameID value on Email.',
        ],
        values: [{ value: 'attribute_names', label: 'Field name' }],
      },
      {
        title: 'Use SHA-256',
        body: ['On the SSO tab, set SAML Signature Algorithm to SHA-256 and Save. Gatehouse refuses SHA-1 signatures.'],
      },
      {
        title: 'Assign the app',
        body: ['Give people the app directly (the user › Applications › +) or assign it to a Role they hold. Without it, OneLogin will not sign them in.'],
      },
    ],
    whereToFindIdpDetails: 'The app\'s SSO tab: Issuer URL (which doubles as the metadata URL), SAML 2.0 Endpoint (HTTP), and X.509 Certificate › View Details. More Actions › SAML Metadata downloads the XML.',
    certificateLifetime: 'set when the certificate is created (Security › Certificates › Expiration)',
    commonMistakes: [
      'ACS (Consumer) URL Validator is empty, unanchored or unescaped, so OneLogin refuses the request: enter the escaped expression between ^ and $.',
      'SAML Signature Algorithm is still SHA-1: set SHA-256 on the SSO tab.',
      'No parameter has Include in SAML assertion ticked, so only the NameID arrives: tick it for email, firstName and lastName.',
      'The app is not assigned to the person or to any of their roles: add it.',
    ],
  },
  oidc: {
    steps: [
      {
        title: 'Add the OIDC connector',
        body: ['Open Applications › Applications › Add App, search for "OpenId Connect", pick OpenId Connect (OIDC), name it and Save.'],
      },
      {
        title: 'Enter the redirect URI',
        body: ['On the Configuration tab, paste the value below into Redirect URI\'s and Save. OneLogin may keep using the old value for up to 10 minutes.'],
        values: [{ value: 'redirect_uri', label: 'Redirect URI\'s' }],
      },
      {
        title: 'Set the token endpoint',
        body: ['On the SSO tab, set Application Type to Web and Token Endpoint › Authentication Method to Basic or POST, not None.'],
      },
      {
        title: 'Assign the app',
        body: ['Assign the app to people (the user › Applications › +) or to a Role they hold.'],
      },
    ],
    whereToFindIdpDetails: 'The app\'s SSO tab: Client ID and Client Secret (Show client secret). The issuer is https://your-subdomain.onelogin.com/oidc/2.',
    commonMistakes: [
      'Authentication Method is None, so the client secret is not accepted: choose Basic or POST.',
      'The app is not assigned to the person or to a role of theirs: add it.',
      'A changed redirect URI seems ignored: OneLogin caches it for up to 10 minutes, so wait and retry.',
      'People open the app from the OneLogin portal: OIDC apps start only from the application.',
    ],
  },
  diagnose: {
    audience_mismatch: 'In OneLogin, open the app › Configuration tab and set Audience (EntityID) to the SP entity id shown above.',
    recipient_mismatch: 'In OneLogin, open the app › Configuration tab and set Recipient to the ACS URL shown above.',
    destination_mismatch: 'In OneLogin, open the app › Configuration tab and set ACS (Consumer) URL to the ACS URL shown above, with a matching ACS (Consumer) URL Validator.',
    issuer_mismatch: 'The Issuer differs from the one saved here: set SAML issuer type to Specific, then copy the Issuer URL from the SSO tab again.',
    sha1_refused: 'In OneLogin, open the app › SSO tab and set SAML Signature Algorithm to SHA-256.',
    certificate_unknown: 'The app signs with another certificate than the one saved: on the SSO tab check the certificate (Change), and add it here from X.509 Certificate › View Details.',
    email_missing: 'On the app\'s Parameters tab, add email (value Email) with Include in SAML assertion ticked, or set the NameID value to Email.',
    expired: 'The assertion had expired when it arrived: check that SAML not valid after on the Configuration tab is not below its default, and that the Gatehouse server\'s clock is right.',
    not_yet_valid: 'The assertion was not yet valid when it arrived: check that SAML not valid before on the Configuration tab is not below its default, and that the Gatehouse server\'s clock is right.',
    idp_error: 'OneLogin refused the sign-in, usually because the person does not have the app: assign it to them or to one of their roles.',
    idp_initiated_disabled: 'The sign-in started from the OneLogin portal: set SAML initiator to Service Provider on the Configuration tab, or allow IdP-initiated sign-in for this connection.',
    token_exchange_failed: 'OneLogin refused the client: copy the Client ID and Client Secret from the SSO tab again, and keep Authentication Method on Basic or POST.',
  },
};
