import type { ProviderGuide } from './guide.ts';

// Recipient and Destination are both the ACS URL, and are fixed in the same field.
const acsUrlFix =
  'In Okta, open the app › General › SAML Settings › Edit, set Single sign-on URL to the ACS URL shown above, and keep "Use this for Recipient URL and Destination URL" ticked.';

// IDP-GUIDES.md "Okta": SAML and OIDC app integrations.
export const okta: ProviderGuide = {
  key: 'okta',
  name: 'Okta',
  logo: 'okta.svg',
  saml: {
    steps: [
      {
        title: 'Create the app integration',
        body: [
          'In the Okta Admin Console, open Applications › Applications (in some orgs: Applications and Resources › Applications) › Create App Integration, pick SAML 2.0 and click Next.',
          'Under General Settings, type an App name your people will recognise and click Next.',
        ],
      },
      {
        title: 'Fill in Configure SAML',
        body: [
          'Paste the two values below into their fields. Keep "Use this for Recipient URL and Destination URL" ticked and leave Default RelayState empty.',
          'Set Name ID format to EmailAddress and Application username to Email.',
        ],
        values: [
          { value: 'acs_url', label: 'Single sign-on URL' },
          { value: 'sp_entity_id', label: 'Audience URI (SP Entity ID)' },
        ],
      },
      {
        title: 'Add the attribute statements',
        body: [
          'Okta sends no attributes until you add them. Under Attribute Statements (optional), add email with the value user.email, firstName with user.firstName and lastName with user.lastName.',
          'To send groups, add a row under Group Attribute Statements (optional) named groups, with the filter Matches regex and .* (or a narrower pattern).',
          'Check the result with Preview the SAML Assertion, click Next, say it is an internal app on the Feedback page and click Finish.',
        ],
        values: [{ value: 'attribute_names', label: 'Attribute Statements › Name' }],
      },
      {
        title: 'Assign people and groups',
        body: [
          'On the Assignments tab, choose Assign › Assign to People or Assign to Groups, assign them, then Save and Go Back › Done.',
          'Okta turns away anyone who is not assigned, so assign yourself too before the test sign-in.',
        ],
      },
    ],
    whereToFindIdpDetails: 'The app\'s Sign On tab: copy the Metadata URL. Without it, More details (or View SAML setup instructions) gives the Sign on URL, the Issuer and the Signing Certificate to download.',
    certificateLifetime: '10 years',
    commonMistakes: [
      'Nobody is assigned, so Okta answers "not assigned": add the people or groups on the Assignments tab.',
      'Single sign-on URL and Audience URI (SP Entity ID) were swapped: the first takes the ACS URL, the second the SP entity id.',
      'Application username stayed on Okta username, which may not be an email: set it to Email, or add the email attribute statement.',
      'No attribute statements were added, so names arrive empty: add firstName and lastName.',
      'A new signing certificate was activated before Gatehouse had it: give Gatehouse the new certificate first, then use Actions › Activate in Okta.',
    ],
  },
  oidc: {
    steps: [
      {
        title: 'Create the app integration',
        body: ['In the Okta Admin Console, open Applications › Applications › Create App Integration, pick OIDC - OpenID Connect with Application type Web Application, and click Next.'],
      },
      {
        title: 'Enter the redirect URI',
        body: [
          'Give it an App integration name and tick only the Authorization Code grant type; Refresh Token is not needed.',
          'Paste the value below into Sign-in redirect URIs, leave Sign-out redirect URIs (Optional) empty and keep Login initiated by App Only.',
        ],
        values: [{ value: 'redirect_uri', label: 'Sign-in redirect URIs' }],
      },
      {
        title: 'Assign people and groups',
        body: [
          'Under Assignments, choose Limit access to selected groups and pick them, or Allow everyone in your organization. Click Save.',
          'People you add later are assigned on the app\'s Assignments tab.',
        ],
      },
      {
        title: 'Send groups (optional)',
        body: ['On the Sign On tab, open OpenID Connect ID Token › Edit, set Group claim type to Filter, and set Group claims filter to groups, Matches regex, .*'],
      },
    ],
    whereToFindIdpDetails: 'The app\'s General tab, under Client Credentials: Client ID and Client secret. The issuer is your Okta org address, such as https://your-org.okta.com.',
    commonMistakes: [
      'The app was created as a single-page app, which has no client secret: create a Web Application instead.',
      'Nobody is assigned to the app: add them under Assignments.',
      'Groups were expected without a groups claim: set the Group claims filter on the Sign On tab.',
      'A custom authorization server (for example …/oauth2/default) was given as issuer without an access policy for this app: use the org address, or add a policy.',
    ],
  },
  diagnose: {
    audience_mismatch: 'In Okta, open the app › General › SAML Settings › Edit and set Audience URI (SP Entity ID) to the SP entity id shown above.',
    recipient_mismatch: acsUrlFix,
    destination_mismatch: acsUrlFix,
    issuer_mismatch: 'Okta sent a different Issuer than the one saved here, for example after SAML Issuer ID was changed under Show Advanced Settings: copy the Metadata URL from the Sign On tab again.',
    certificate_unknown: 'Okta signed with a certificate Gatehouse does not have, usually one just activated: download it from SAML Signing Certificates on the Sign On tab and add it here, or connect with the Metadata URL.',
    sha1_refused: 'In the app › General › SAML Settings › Edit › Show Advanced Settings, set Signature Algorithm to RSA-SHA256 and Digest Algorithm to SHA256.',
    unsigned: 'Nothing was signed: in the app › General › SAML Settings › Edit › Show Advanced Settings, set Response or Assertion Signature to Signed.',
    decryption_failed: 'Okta encrypted to an old Gatehouse certificate: under Show Advanced Settings, set Assertion Encryption to Unencrypted, or upload the current one as Encryption Certificate.',
    email_missing: 'In the app › General › SAML Settings › Edit, add the attribute statement email with the value user.email, or set Application username to Email.',
    email_outside_org_domains: 'Okta sent an address on a domain this organisation has not verified, often the Okta username: set Application username to Email in SAML Settings, or verify that domain first.',
    idp_error: 'Okta refused the sign-in, usually because the person is not assigned: add them, or one of their groups, on the app\'s Assignments tab.',
    idp_initiated_disabled: 'The sign-in started from the Okta dashboard tile: start from the application instead, or allow IdP-initiated sign-in for this connection.',
    token_exchange_failed: 'Okta refused the client credentials: copy the Client ID and Client secret again from the app\'s General tab › Client Credentials.',
  },
};
