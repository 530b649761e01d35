import type { ProviderGuide } from './guide.ts';

// Recipient and Destination are both the ACS URL, and are fixed in the same field.
const acsUrlFix =
  'In Entra, open the enterprise app › Single sign-on › Basic SAML Configuration › Edit and set Reply URL (Assertion Consumer Service URL) to the ACS URL shown above.';

// IDP-GUIDES.md "Microsoft Entra ID": enterprise application (SAML) and app registration (OIDC).
export const entra: ProviderGuide = {
  key: 'entra',
  name: 'Microsoft Entra ID',
  logo: 'entra.svg',
  saml: {
    steps: [
      {
        title: 'Create an enterprise application',
        body: [
          'In the Microsoft Entra admin center (entra.microsoft.com), open Entra ID › Enterprise apps (older menus: Identity › Applications › Enterprise applications) › New application › Create your own application.',
          'Name it, pick "Integrate any other application you don\'t find in the gallery (Non-gallery)" and click Create. This needs the Cloud Application Administrator or Application Administrator role.',
        ],
      },
      {
        title: 'Fill in Basic SAML Configuration',
        body: [
          'Open Manage › Single sign-on, choose SAML, and click Edit in box 1, Basic SAML Configuration.',
          'Paste the values below and tick Default next to the identifier. Leave Sign on URL (Optional), Relay State (Optional) and Logout Url (Optional) empty, then Save.',
        ],
        values: [
          { value: 'sp_entity_id', label: 'Identifier (Entity ID)' },
          { value: 'acs_url', label: 'Reply URL (Assertion Consumer Service URL)' },
        ],
      },
      {
        title: 'Check Attributes & Claims',
        body: [
          'Gatehouse reads Entra\'s default emailaddress, givenname and surname claims as they are: no change is needed.',
          'If your UPNs are not your email addresses (for example name@yourcompany.onmicrosoft.com), edit Unique User Identifier (Name ID) and set its source attribute to user.mail.',
          'For groups, use Add a group claim and pick Groups assigned to the application or Security groups. Entra sends group object IDs unless you choose sAMAccountName for groups synced from AD.',
        ],
      },
      {
        title: 'Assign users and groups',
        body: [
          'Under Manage › Users and groups, click Add user/group and add the people or groups who should sign in.',
          'With Properties › Assignment required? set to Yes, Entra refuses anyone not assigned (AADSTS50105). Assigning groups needs Entra ID P1 or P2, and members of nested groups are not included.',
        ],
      },
    ],
    whereToFindIdpDetails: 'Single sign-on page, box 3 SAML Certificates: copy the App Federation Metadata Url (it always carries the active certificate), or download Federation Metadata XML. By hand: box 4\'s Login URL and Microsoft Entra Identifier, and Certificate (Base64).',
    certificateLifetime: '3 years',
    commonMistakes: [
      'The Name ID is the UPN, which differs from the mailbox address: set its source attribute to user.mail, or let Gatehouse read the emailaddress claim.',
      'People without a mailbox have an empty user.mail, so no email claim is sent: give them a mail address.',
      'Nobody was added under Users and groups, so Entra stops them with AADSTS50105: assign them.',
      'Reply URL or Identifier differs from what Gatehouse sends (AADSTS50011 or AADSTS700016): paste both again from this page.',
      'The Microsoft Entra Identifier was copied without its trailing slash: copy it whole, or use the App Federation Metadata Url.',
      'Expiry emails go to an admin who has left: update Notification Email under SAML Certificates and renew before the 3 years are up.',
    ],
  },
  oidc: {
    steps: [
      {
        title: 'Register the app',
        body: [
          'Open Identity › Applications › App registrations › New registration and give it a name.',
          'Choose "Accounts in this organizational directory only (Single tenant)". Under Redirect URI (optional), pick the Web platform, paste the value below and click Register.',
        ],
        values: [{ value: 'redirect_uri', label: 'Redirect URI (optional), platform Web' }],
      },
      {
        title: 'Create a client secret',
        body: [
          'Open Manage › Certificates & secrets › Client secrets › New client secret. Add a description, pick Expires (180 days is recommended, 24 months at most) and click Add.',
          'Copy the Value column now, because Entra shows it only once. The Secret ID beside it is not the secret.',
        ],
      },
      {
        title: 'Add optional claims',
        body: ['Under Token configuration › Add optional claim, token type ID, add email, given_name and family_name. Add groups claim sends group object IDs.'],
      },
      {
        title: 'Assign users and groups',
        body: ['Registering the app also creates an enterprise application of the same name: in Enterprise apps open it, add people under Users and groups, and set Properties › Assignment required? to Yes.'],
      },
    ],
    whereToFindIdpDetails: 'The app registration\'s Overview: Application (client) ID and Directory (tenant) ID. The issuer is https://login.microsoftonline.com/ followed by the Directory (tenant) ID and /v2.0.',
    commonMistakes: [
      'The Secret ID was copied instead of the secret Value: create a new secret and copy its Value.',
      'The issuer uses the common or organizations address: use your tenant\'s own v2.0 issuer.',
      'The client secret expired (Entra secrets last 24 months at most): create a new one in time and save it here.',
      'People without a mailbox sign in with their UPN: give them a mail address, or add the email optional claim.',
    ],
  },
  diagnose: {
    audience_mismatch: 'In Entra, open the enterprise app › Single sign-on › Basic SAML Configuration › Edit and set Identifier (Entity ID) to the SP entity id shown above, ticked as Default.',
    recipient_mismatch: acsUrlFix,
    destination_mismatch: acsUrlFix,
    issuer_mismatch: 'The Issuer is not the Microsoft Entra Identifier saved here: copy it again from box 4 of the Single sign-on page with its trailing slash, or use the App Federation Metadata Url.',
    certificate_unknown: 'Entra signed with a certificate Gatehouse does not have, because a new one was made active or the old one expired: download Certificate (Base64) from SAML Certificates and add it here.',
    sha1_refused: 'In the enterprise app › Single sign-on › SAML Certificates, click the pencil and set Signing Algorithm to SHA-256.',
    email_missing: 'Entra sent no usable email, usually because the person\'s mail attribute is empty: give them a mail address, or point the emailaddress claim in Attributes & Claims at an attribute that holds it.',
    email_invalid: 'Entra sent a UPN or Name ID that is not an address, such as a guest\'s UPN with #EXT# or a user.objectid value. In Attributes & Claims set the Name ID source to user.mail, and fill in the person\'s mail.',
    email_outside_org_domains: 'Entra sent the UPN (say name@yourcompany.onmicrosoft.com), not the work address: set the Name ID source to user.mail and fill in the person\'s mail (OIDC: add the email optional claim).',
    idp_error: 'Entra refused the sign-in, usually because the person is not assigned (AADSTS50105): add them under the enterprise app\'s Users and groups.',
    idp_initiated_disabled: 'The sign-in started from the My Apps tile: start from the application, allow IdP-initiated sign-in for this connection, or put the application\'s sign-in page in Sign on URL (Optional).',
    token_exchange_failed: 'Entra refused the client secret: it has expired, or the Secret ID was saved. Under Certificates & secrets create a new client secret and save its Value here.',
    id_token_invalid: 'Check that the client ID saved here is the Application (client) ID and that the issuer is your tenant\'s v2.0 address.',
  },
};
