import type { ProviderGuide } from './guide.ts';

// Recipient and Destination are both the ACS URL, and are fixed in the same field.
const acsUrlFix =
  'In the Admin console, open Apps › Web and mobile apps › the app › Service provider details and set ACS URL to the ACS URL shown above.';

// IDP-GUIDES.md "Google Workspace": custom SAML app, and "Sign in with Google" as plain OIDC.
export const google: ProviderGuide = {
  key: 'google',
  name: 'Google Workspace',
  logo: 'google.svg',
  saml: {
    steps: [
      {
        title: 'Add a custom SAML app',
        body: [
          'Signed in as a super admin, open the Google Admin console (admin.google.com) › Apps › Web and mobile apps › Add app › Add custom SAML app.',
          'Under App details, enter an App name and click Continue.',
        ],
      },
      {
        title: 'Download Google\'s IdP metadata',
        body: [
          'On Google Identity Provider details, click DOWNLOAD METADATA (Option 1) and keep the file for this wizard: Google has no metadata URL.',
          'Option 2 works too: copy the SSO URL and Entity ID and download the Certificate. Then click Continue.',
        ],
      },
      {
        title: 'Fill in Service provider details',
        body: [
          'Paste the values below and leave Start URL empty. Leave Signed response unticked: Google then signs the assertion, which Gatehouse accepts.',
          'Set Name ID format to EMAIL and keep Name ID on Basic Information › Primary email. Click Continue.',
        ],
        values: [
          { value: 'acs_url', label: 'ACS URL' },
          { value: 'sp_entity_id', label: 'Entity ID' },
        ],
      },
      {
        title: 'Map the attributes',
        body: [
          'Google sends only what you map. Under Attribute mapping, map the Google Directory attributes Primary email to email, First name to firstName and Last name to lastName.',
          'For groups, pick them under Group membership (optional) and name the app attribute groups. Only the groups you pick are sent, at most 75. Click Finish.',
        ],
        values: [{ value: 'attribute_names', label: 'App attributes' }],
      },
      {
        title: 'Turn the app on for your users',
        body: [
          'Google has no assignment list: a new app is OFF for everyone. Open User access, choose ON for everyone, or turn it on for selected organizational units or groups, and Save.',
          'Allow time before testing: the change can take minutes or hours to reach everyone.',
        ],
      },
    ],
    whereToFindIdpDetails: 'The Google Identity Provider details page while you create the app: DOWNLOAD METADATA, or the SSO URL, Entity ID and Certificate. Google offers a file, not a metadata URL.',
    certificateLifetime: '5 years',
    commonMistakes: [
      'The app was left OFF for everyone: turn it on under User access, and allow time for the change to spread.',
      'The Entity ID differs from Gatehouse\'s SP entity id, so Google answers app_not_configured_for_user: paste it again exactly.',
      'Nothing was mapped, so names are missing: add First name and Last name under Attribute mapping.',
      'Groups were expected without being picked: Google sends only groups listed under Group membership.',
      'Only super admins can see and rotate SAML certificates: ask one before the 5-year certificate runs out.',
    ],
  },
  oidc: {
    steps: [
      {
        title: 'Set up the consent screen',
        body: ['In the Google Cloud console, open APIs & Services › OAuth consent screen and choose the Internal user type, so only accounts of your Workspace organisation can use it.'],
      },
      {
        title: 'Create the OAuth client',
        body: ['Open Credentials › Create credentials › OAuth client ID, choose Web application, paste the value below under Authorized redirect URIs and click Create.'],
        values: [{ value: 'redirect_uri', label: 'Authorized redirect URIs' }],
      },
      {
        title: 'Decide who can sign in',
        body: ['There is no per-person assignment: with the Internal user type every account of your Workspace organisation can sign in. Gatehouse still admits only addresses on your verified domains.'],
      },
    ],
    whereToFindIdpDetails: 'The dialog shown after Create, and later APIs & Services › Credentials: Client ID and Client secret. The issuer is https://accounts.google.com.',
    commonMistakes: [
      'The consent screen was left External, so personal Google accounts reach the sign-in: choose Internal.',
      'The redirect URI was typed with another host, path or scheme: paste it exactly.',
      'Groups were expected over OIDC: Google sends none there, so use the SAML app with Group membership.',
    ],
  },
  diagnose: {
    audience_mismatch: 'In the Admin console, open Apps › Web and mobile apps › the app › Service provider details and set Entity ID to the SP entity id shown above.',
    recipient_mismatch: acsUrlFix,
    destination_mismatch: acsUrlFix,
    issuer_mismatch: 'Google\'s Entity ID differs from the one saved here: download the metadata for this app again and upload it.',
    certificate_unknown: 'The app now uses another Google certificate: see which one under the app\'s Service provider details, then download it (or fresh metadata) and add it here.',
    email_missing: 'Under the app\'s Attribute mapping, map Primary email to email, and keep Name ID on Primary email.',
    email_outside_org_domains: 'The person\'s primary email is on a domain this organisation has not verified, such as a secondary domain: verify that domain in Gatehouse first.',
    idp_error: 'Google refused the sign-in, usually because the app is OFF for this person: under User access turn it on for their organizational unit or group, then wait a while.',
    idp_initiated_disabled: 'Test SAML login on the app\'s page in Google starts an IdP-initiated sign-in: use this wizard\'s test sign-in instead, or allow IdP-initiated sign-in for this connection.',
    token_exchange_failed: 'Google refused the client: in the Google Cloud console, APIs & Services › Credentials, open the OAuth client and copy the Client ID and Client secret again.',
  },
};
