import type { ProviderGuide } from './guide.ts';

// Recipient and Destination are both the ACS URL, and are fixed in the same field.
const acsUrlFix =
  'Set the trust\'s SAML 2.0 SSO service URL (trust Properties › Endpoints) to the ACS URL shown above.';

// IDP-GUIDES.md "AD FS (Active Directory Federation Services)": relying party trust and claim rules.
export const adfs: ProviderGuide = {
  key: 'adfs',
  name: 'AD FS',
  logo: 'adfs.svg',
  saml: {
    steps: [
      {
        title: 'Start a relying party trust',
        body: ['On the AD FS server, open Server Manager › Tools › AD FS Management › Relying Party Trusts › Add Relying Party Trust..., choose Claims aware and click Start.'],
      },
      {
        title: 'Import the Gatehouse metadata',
        body: [
          'On Select Data Source, pick "Import data about the relying party published online or on a local network" and paste the value below.',
          'This is the best choice: AD FS can then watch it for changes, such as a new Gatehouse certificate.',
        ],
        values: [{ value: 'sp_metadata_url', label: 'Federation metadata address (host name or URL)' }],
      },
      {
        title: 'Or enter the data by hand',
        body: [
          'If AD FS cannot reach Gatehouse, pick "Enter data about the relying party manually" and give a display name. Leave Configure Certificate empty.',
          'On Configure URL, tick Enable support for the SAML 2.0 WebSSO protocol. Paste the values below, adding the identifier on Configure Identifiers.',
        ],
        values: [
          { value: 'acs_url', label: 'Relying party SAML 2.0 SSO service URL' },
          { value: 'sp_entity_id', label: 'Relying party trust identifier' },
        ],
      },
      {
        title: 'Choose who may sign in',
        body: [
          'AD FS assigns users through the access policy. Under Choose Access Control Policy, pick Permit everyone or a policy for the right group (2012 R2: Choose Issuance Authorization Rules › Permit all users).',
          'Finish the wizard; Edit Claim Issuance Policy opens (2012 R2: Edit Claim Rules).',
        ],
      },
      {
        title: 'Send the attributes',
        body: [
          'Add Rule... › Send LDAP Attributes as Claims, with Attribute store Active Directory. Map E-Mail-Addresses to E-Mail Address, Given-Name to Given Name, Surname to Surname, and Token-Groups - Unqualified Names to Group.',
          'Gatehouse reads these claim types under the names AD FS gives them.',
        ],
        values: [{ value: 'attribute_names', label: 'Outgoing Claim Type' }],
      },
      {
        title: 'Issue a Name ID',
        body: ['Add a second rule, Transform an Incoming Claim: Incoming claim type E-Mail Address, Outgoing claim type Name ID, Outgoing name ID format Email. Without it AD FS sends no Name ID at all.'],
      },
    ],
    whereToFindIdpDetails: 'The federation metadata at https://your-adfs-host/FederationMetadata/2007-06/FederationMetadata.xml: give its URL, or download and upload the file. The token-signing certificate is under Service › Certificates.',
    certificateLifetime: '1 year, renewed automatically while AutoCertificateRollover is on',
    commonMistakes: [
      'No rule issues a Name ID, so the response carries none: add the Transform an Incoming Claim rule.',
      'The identifier was typed with https although the Federation Service Identifier starts with http: copy it exactly, or use the metadata.',
      'People whose AD mail attribute is empty get no email: fill it in.',
      'The access policy permits a specific group that the people are not in: add them, or widen the policy.',
      'A hand-configured connection misses the yearly certificate rollover: give Gatehouse the metadata URL, which it re-reads daily.',
      'Gatehouse cannot reach AD FS behind its proxy: download FederationMetadata.xml and upload it instead.',
    ],
  },
  diagnose: {
    subject_missing: 'AD FS sent no Name ID: in the trust\'s Edit Claim Issuance Policy, add a Transform an Incoming Claim rule from E-Mail Address to Name ID with format Email.',
    email_missing: 'No E-Mail Address claim arrived: check the Send LDAP Attributes as Claims rule, and that the person\'s mail attribute is filled in Active Directory.',
    sha1_refused: 'The trust signs with SHA-1: in its Properties › Advanced set Secure hash algorithm to SHA-256, or run Set-AdfsRelyingPartyTrust with -SignatureAlgorithm http://www.w3.org/2001/04/xmldsig-more#rsa-sha256.',
    certificate_unknown: 'AD FS rolled over its token-signing certificate, as it does yearly: export the new one from Service › Certificates and add it here, or connect with the federation metadata URL.',
    audience_mismatch: 'Make the trust\'s Relying party trust identifier exactly the SP entity id shown above (trust Properties › Identifiers).',
    recipient_mismatch: acsUrlFix,
    destination_mismatch: acsUrlFix,
    issuer_mismatch: 'The issuer is the Federation Service Identifier, usually http://your-adfs-host/adfs/services/trust with http: copy it exactly, or use the federation metadata.',
    decryption_failed: 'AD FS encrypted to a Gatehouse certificate that is no longer current: update the trust from the Gatehouse metadata URL so it uses the current one.',
    expired: 'The AD FS server\'s clock is off: synchronise its time, and the Gatehouse server\'s, then try again.',
    not_yet_valid: 'The AD FS server\'s clock is ahead: synchronise its time, and the Gatehouse server\'s, then try again.',
    idp_error: 'AD FS refused the person, usually because the access control policy does not admit them: add them to the permitted group, or change the policy.',
    idp_initiated_disabled: 'The sign-in was started from AD FS rather than from the application: start from the application, or allow IdP-initiated sign-in for this connection.',
  },
};
