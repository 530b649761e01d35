import type { ProviderGuide } from './guide.ts';

// Recipient and Destination are both the ACS URL, and are fixed in the same field.
const acsUrlFix =
  'PingOne: on the Configuration tab make the ACS URL shown above the first of the ACS URLs. PingFederate: set the Assertion Consumer Service URL\'s Endpoint URL to it.';

// IDP-GUIDES.md "PingOne (cloud) and PingFederate (self-managed)": each step gives both products, one
// paragraph each, since one Ping entry covers both.
export const ping: ProviderGuide = {
  key: 'ping',
  name: 'PingOne / PingFederate',
  logo: 'ping.svg',
  saml: {
    steps: [
      {
        title: 'Create the application',
        body: [
          'PingOne: in your environment, open Applications › Applications (older: Connections › Applications), click +, enter an Application name, choose SAML Application and click Configure.',
          'PingFederate: open Applications › Integration › SP Connections › Create Connection. Choose "Do not use a template", Browser SSO Profiles with SAML 2.0, then Browser SSO.',
        ],
      },
      {
        title: 'Give Ping the Gatehouse details',
        body: [
          'PingOne: under SAML configuration, use Import From URL with the metadata URL, or Manually Enter the ACS URLs and Entity ID, then Save.',
          'PingFederate: import the metadata from the same URL, or enter the Partner\'s Entity ID (Connection ID) under General Info. In Protocol Settings, add an Assertion Consumer Service URL with Binding POST and the ACS URL as Endpoint URL.',
        ],
        values: [
          { value: 'sp_metadata_url', label: 'Import From URL (PingOne), Import Metadata (PingFederate)' },
          { value: 'acs_url', label: 'ACS URLs (PingOne), Endpoint URL (PingFederate)' },
          { value: 'sp_entity_id', label: 'Entity ID (PingOne), Partner\'s Entity ID (PingFederate)' },
        ],
      },
      {
        title: 'Map the subject and attributes',
        body: [
          'PingOne: on the Attribute Mappings tab, point saml_subject at Email Address. Then use Add for email (Email Address), firstName (Given Name), lastName (Family Name) and groups (Group Names).',
          'PingFederate: under Assertion Creation, give the Attribute Contract a SAML_SUBJECT with Subject Name Format emailAddress, plus email, firstName, lastName and groups. Fulfil each one in the Authentication Source Mapping.',
        ],
        values: [{ value: 'attribute_names', label: 'Attribute name' }],
      },
      {
        title: 'Assign access and turn it on',
        body: [
          'PingOne: assign access by group membership on the Access tab if you want to limit it, then switch the application on with its toggle in the Applications list.',
          'PingFederate: under Activation & Summary, set the connection to Active and Save. Who gets in is decided by the IdP adapter the connection maps to.',
        ],
      },
    ],
    whereToFindIdpDetails: 'PingOne: the application\'s Configuration tab (IdP Metadata URL, or Issuer ID, Single Signon Service and Download Signing Certificate). PingFederate: Export Metadata on the SP connection.',
    certificateLifetime: 'chosen when the signing key is created',
    commonMistakes: [
      'The PingOne application was never switched on, or its Access tab leaves people out: enable it and check the groups.',
      'saml_subject still maps to User ID, so the NameID is a UUID: map it to Email Address.',
      'URLs were copied with the wrong region suffix (.com instead of .eu, for example): copy them again from the Configuration tab.',
      'PingFederate: attribute contract entries were not fulfilled in the adapter mapping, so they arrive empty: fulfil each one.',
      'PingFederate: the connection was saved but not set to Active: activate it.',
    ],
  },
  oidc: {
    steps: [
      {
        title: 'Create the OIDC application',
        body: ['In PingOne, open Applications › Applications, click +, choose OIDC Web App and click Configure.'],
      },
      {
        title: 'Enter the redirect URI',
        body: ['Paste the value below into Redirect URIs. Keep response type Code, grant type Authorization Code, and Token Endpoint Authentication Method Client Secret Basic (or Post).'],
        values: [{ value: 'redirect_uri', label: 'Redirect URIs' }],
      },
      {
        title: 'Assign access and turn it on',
        body: ['Limit access by group on the Access tab if you want, then switch the application on with its toggle. For groups, add a groups attribute mapping.'],
      },
    ],
    whereToFindIdpDetails: 'The application\'s Overview or Configuration tab: Client ID, Client Secret and Issuer (it ends in /as, and keeps its region suffix such as .com or .eu).',
    commonMistakes: [
      'The application was not switched on: turn on its toggle.',
      'The issuer was copied without /as or with the wrong region: copy it from the Configuration tab again.',
    ],
  },
  diagnose: {
    audience_mismatch: 'PingOne: on the application\'s Configuration tab set Entity ID to the SP entity id shown above. PingFederate: set the connection\'s Partner\'s Entity ID (Connection ID) to it.',
    recipient_mismatch: acsUrlFix,
    destination_mismatch: acsUrlFix,
    issuer_mismatch: 'Copy the Issuer ID (PingOne) or the connection\'s exported metadata (PingFederate) again, keeping the right region suffix.',
    certificate_unknown: 'Ping signed with a key Gatehouse does not have: check the Signing key (PingOne) or Digital Signature Settings (PingFederate), then download that certificate or the metadata and add it here.',
    email_missing: 'PingOne: add an email row on the Attribute Mappings tab. PingFederate: fulfil email in the Authentication Source Mapping.',
    expired: 'The assertion had expired on arrival: check the PingFederate server\'s clock, and that Assertion Validity Duration (PingOne) or Assertion Lifetime (PingFederate) is not too short.',
    not_yet_valid: 'The assertion was dated in the future: check the clocks of the PingFederate server and the Gatehouse server.',
    idp_error: 'Ping refused the sign-in: in PingOne the application may be switched off or the person outside its Access groups; in PingFederate the connection may not be Active.',
    idp_initiated_disabled: 'The sign-in was started from Ping rather than from the application: start from the application, or allow IdP-initiated sign-in for this connection.',
    token_exchange_failed: 'PingOne refused the client: copy the Client Secret again, and keep Token Endpoint Authentication Method on Client Secret Basic or Post.',
  },
};
