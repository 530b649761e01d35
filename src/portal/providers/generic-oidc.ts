import type { ProviderGuide } from './guide.ts';

// IDP-GUIDES.md "Generic OIDC provider": vendor-neutral, each field with the names IdPs commonly use.
export const genericOidc: ProviderGuide = {
  key: 'generic-oidc',
  name: 'OpenID Connect',
  logo: 'generic-oidc.svg',
  oidc: {
    steps: [
      {
        title: 'Create a web client',
        body: ['In your identity provider, create a confidential web client (web application, regular web app) that uses the authorization code grant. A single-page or public client will not work: it has no secret.'],
      },
      {
        title: 'Register the redirect URI',
        body: ['Paste the value below exactly: the same scheme (https), host and path.'],
        values: [{ value: 'redirect_uri', label: 'Redirect URI (callback URL, sign-in redirect URI)' }],
      },
      {
        title: 'Allow the scopes',
        body: ['Allow the scopes openid, email and profile, plus groups if your identity provider offers it. Gatehouse uses PKCE in every case.'],
      },
      {
        title: 'Assign people',
        body: ['Assign the people or groups who should sign in to the client (some IdPs call this granting access).'],
      },
    ],
    whereToFindIdpDetails: 'The issuer URL (Gatehouse reads its /.well-known/openid-configuration), the client ID, and the client secret value.',
    commonMistakes: [
      'The issuer was copied with a closing slash it does not have, or without one it has: copy it exactly as the discovery document states it.',
      'The secret\'s id was copied instead of its value: copy the value.',
      'The redirect URI was registered with another host, path, or http instead of https: register it exactly.',
      'The client was created as a single-page or public app, which has no secret: create a web client.',
      'The email scope is not allowed for the client: allow it.',
      'Nobody is assigned to the client: assign the people or groups.',
    ],
  },
  diagnose: {
    token_exchange_failed: 'The identity provider refused the client ID or secret: copy the client secret value again (not its id), and check the client is confidential.',
    id_token_invalid: 'The ID token did not pass the checks: make sure the client ID and the issuer saved here are exactly the identity provider\'s.',
    idp_unreachable: 'Gatehouse could not reach the identity provider: check the issuer URL answers over https from the Gatehouse server.',
    email_missing: 'No email claim arrived: allow the email scope for the client, and make sure the person has an email address.',
    email_invalid: 'The email claim is not an email address: map the claim to the person\'s email in the identity provider.',
    email_unverified: 'The identity provider says the email is unverified: verify it there, or trust emails for this connection.',
    email_outside_org_domains: 'The identity provider sent an address on a domain this organisation has not verified: send the work address, or verify that domain first.',
    idp_error: 'The identity provider refused the sign-in, usually because the person is not assigned to the client: assign them.',
  },
};
