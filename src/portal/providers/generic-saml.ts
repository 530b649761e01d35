import type { ProviderGuide } from './guide.ts';

// IDP-GUIDES.md "Generic SAML 2.0 IdP": vendor-neutral, each field with the names IdPs commonly use.
export const genericSaml: ProviderGuide = {
  key: 'generic-saml',
  name: 'SAML 2.0',
  logo: 'generic-saml.svg',
  saml: {
    steps: [
      {
        title: 'Create a SAML application',
        body: ['In your identity provider, add a SAML 2.0 application for web browser sign-in (also called a service provider, relying party, or custom SAML app).'],
      },
      {
        title: 'Give it the Gatehouse details',
        body: [
          'If your identity provider can import service provider metadata from a URL, give it the metadata URL below: that is the simplest path.',
          'Otherwise enter the ACS URL, with the HTTP-POST binding, and the SP entity id by hand.',
        ],
        values: [
          { value: 'sp_metadata_url', label: 'SP metadata URL (service provider metadata)' },
          { value: 'acs_url', label: 'ACS URL (Assertion Consumer Service URL, Reply URL, Single sign-on URL)' },
          { value: 'sp_entity_id', label: 'SP entity ID (Audience, Audience URI, Identifier)' },
        ],
      },
      {
        title: 'Set the Name ID and signing',
        body: [
          'Send the email address as the Name ID (subject), with the format urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress if offered.',
          'Sign the response, the assertion or both with RSA-SHA256 or stronger; Gatehouse refuses SHA-1. Send one assertion per response.',
        ],
      },
      {
        title: 'Add the attributes',
        body: [
          'Add attributes (also called claims or parameters) for the email, first name, last name and, if you want, groups.',
          'Gatehouse recognises common names such as email or mail, firstName or givenName, lastName or sn, and groups or memberOf. You can pick other names in the attribute mapping step.',
        ],
        values: [{ value: 'attribute_names', label: 'Attribute name (claim name)' }],
      },
      {
        title: 'Assign people',
        body: ['Assign the people or groups who should sign in to the application (some IdPs call this granting access or entitlement).'],
      },
    ],
    whereToFindIdpDetails: 'Your identity provider\'s metadata URL or XML file (IdP metadata, federation metadata). Failing that: its entity ID (Issuer), its SSO URL for the HTTP-Redirect binding, and its signing certificate in PEM (Base64).',
    commonMistakes: [
      'The entity ID and the ACS URL were swapped: the ACS URL is where the IdP posts, the entity ID is the audience.',
      'The IdP metadata came from a test tenant: export it from the production identity provider.',
      'The identity provider signs with SHA-1: switch it to RSA-SHA256.',
      'An expired signing certificate was pasted: download the current one.',
      'The identity provider\'s clock is off by more than the allowed skew (one minute by default): synchronise it with NTP.',
      'People start from the identity provider\'s portal while this connection does not allow IdP-initiated sign-in: start from the application, or allow it.',
      'The metadata URL uses http: give the https address.',
    ],
  },
  diagnose: {
    audience_mismatch: 'Set the application\'s SP entity ID (Audience, Identifier) to the SP entity id shown above.',
    recipient_mismatch: 'Set the application\'s ACS URL (Reply URL, Recipient) to the ACS URL shown above.',
    destination_mismatch: 'Set the application\'s ACS URL (Reply URL, Destination) to the ACS URL shown above.',
    issuer_mismatch: 'The identity provider\'s entity ID (Issuer) differs from the one saved here: give Gatehouse its metadata again, or correct the entity ID.',
    certificate_unknown: 'The identity provider signed with a certificate Gatehouse does not have, probably a renewed one: download its current signing certificate or metadata and add it here.',
    sha1_refused: 'The identity provider signed with SHA-1: set its signature algorithm to RSA-SHA256 or stronger.',
    unsigned: 'Neither the response nor the assertion was signed: turn signing on for one of them (or both).',
    signature_invalid: 'The signature did not verify, often because something between the identity provider and Gatehouse changed the response: check proxies, and that the certificate saved here is the signing one.',
    multiple_assertions: 'The response carried more than one assertion: configure the identity provider to send exactly one.',
    decryption_failed: 'The assertion was encrypted to an old Gatehouse certificate: reload the Gatehouse SP metadata in the identity provider, or turn assertion encryption off.',
    expired: 'The identity provider\'s clock is behind, or the response was slow to arrive: synchronise the clock with NTP and try again.',
    not_yet_valid: 'The identity provider\'s clock is ahead: synchronise it with NTP and try again.',
    subject_missing: 'The response had no Name ID (subject): configure the identity provider to send one, preferably the email address.',
    email_missing: 'No email arrived: add an email attribute (email or mail), or send the email address as the Name ID.',
    email_invalid: 'The email attribute or Name ID is not an email address: point it at the person\'s email in the identity provider.',
    email_outside_org_domains: 'The identity provider sent an address on a domain this organisation has not verified: send the work address, or verify that domain first.',
    idp_error: 'The identity provider refused the sign-in, usually because the person is not assigned to the application: assign them.',
    idp_initiated_disabled: 'The sign-in started from the identity provider\'s portal: start from the application, or allow IdP-initiated sign-in for this connection.',
  },
};
