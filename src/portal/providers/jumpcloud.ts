import type { ProviderGuide } from './guide.ts';

// Recipient and Destination are both the ACS URL, and are fixed in the same field.
const acsUrlFix =
  'In JumpCloud, open the app › SSO tab and set the Default URL under ACS URLs to the ACS URL shown above.';

// IDP-GUIDES.md "JumpCloud": Custom SAML App (JumpCloud's OIDC apps use the generic OIDC guide).
export const jumpcloud: ProviderGuide = {
  key: 'jumpcloud',
  name: 'JumpCloud',
  logo: 'jumpcloud.svg',
  saml: {
    steps: [
      {
        title: 'Create a custom application',
        body: [
          'In the JumpCloud Admin Portal, open Access › SSO Applications (older: User Authentication › SSO) › Add New Application › Custom Application › Next.',
          'Tick Manage Single Sign-On (SSO) with Configure SSO with SAML, and Export users to this app (Identity Management) if you will sync users later. Enter a Display Label, then Save Application › Configure Application.',
          'The SSO IdP URL under General Info › Advanced Settings cannot be changed after creation, so choose its last part now.',
        ],
      },
      {
        title: 'Fill in the SSO tab',
        body: [
          'Type an IdP Entity ID of your own, any unique text. Gatehouse stores it, so do not change it later.',
          'Paste the values below; SP Entity ID is case-sensitive. Leave SP Certificate, Default RelayState, Login URL and IdP-Initiated URL empty.',
          'Keep SAMLSubject NameID on email and Signature Algorithm on RSA-SHA256, and sign the Assertion (or the Response).',
        ],
        values: [
          { value: 'sp_entity_id', label: 'SP Entity ID' },
          { value: 'acs_url', label: 'ACS URLs (Default URL)' },
        ],
      },
      {
        title: 'Add the attributes',
        body: [
          'Under Attributes, add three rows: Service Provider Attribute Name email, firstName and lastName, with JumpCloud Attribute Name email, firstname and lastname.',
          'For groups, tick include group attribute. Gatehouse reads the default name memberOf, and groups if you rename it.',
        ],
        values: [{ value: 'attribute_names', label: 'Service Provider Attribute Name' }],
      },
      {
        title: 'Assign user groups and activate',
        body: ['On the User Groups tab, tick the groups whose members may use the app, activate it and Save. Only members of those groups can sign in.'],
      },
    ],
    whereToFindIdpDetails: 'The app\'s SSO tab: Copy Metadata URL, or Export Metadata for the XML. By hand: the IDP URL, your IdP Entity ID, and the IDP Certificate from the app\'s certificate menu.',
    commonMistakes: [
      'No user group is bound to the app, so nobody can sign in: tick the groups on the User Groups tab.',
      'The IdP Entity ID was changed after Gatehouse saved it: change it back, or give Gatehouse the metadata again.',
      'The certificate was regenerated, which replaces key and certificate at once: add the new certificate here straight away.',
    ],
  },
  diagnose: {
    audience_mismatch: 'In JumpCloud, open the app › SSO tab and set SP Entity ID to the SP entity id shown above, with the same upper and lower case.',
    recipient_mismatch: acsUrlFix,
    destination_mismatch: acsUrlFix,
    issuer_mismatch: 'The IdP Entity ID on the app\'s SSO tab differs from the one saved here: set it back, or give Gatehouse the metadata again.',
    certificate_unknown: 'The app\'s certificate was regenerated: use Export Metadata (or download the IDP Certificate) again and add it here.',
    sha1_refused: 'In JumpCloud, open the app › SSO tab and set Signature Algorithm to RSA-SHA256.',
    email_missing: 'On the app\'s SSO tab, set SAMLSubject NameID to email, or add the attribute email mapped to the JumpCloud attribute email.',
    idp_error: 'JumpCloud refused the sign-in, usually because the person is not in a user group ticked on the app\'s User Groups tab.',
    idp_initiated_disabled: 'The sign-in started from the JumpCloud user portal: start from the application instead, or allow IdP-initiated sign-in for this connection.',
  },
};
