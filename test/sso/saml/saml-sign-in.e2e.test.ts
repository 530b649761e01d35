import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, text } from '../../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../../helpers/live-app.ts';
import { IDP, readRedirectRequest, type ResponseOverrides, samlResponse, type SpValues } from '../../helpers/saml.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';
const INITIATE = 'https://workplace.test/start-login';

/** The app (openid-client) -> Gatehouse -> SAML IdP -> ACS -> code -> tokens, over real HTTP. */
describe('SAML single sign-on, end to end', () => {
  let live: LiveApp;
  let orgId: string;
  let connectionId: string;
  let sp: SpValues;
  let client: { client_id: string; client_secret: string };
  let config: oidc.Configuration;

  beforeAll(async () => {
    live = await startLiveApp();
    orgId = (await live.api('POST', '/organizations', { name: 'Acme', sso_entitled: true })).body.id;
    const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme.test' })).body;
    expect((await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' })).status).toBe(200);
    const created = await live.api('POST', `/organizations/${orgId}/connections`, {
      type: 'saml', provider: 'okta', idp_initiated: true,
      saml: { idp_entity_id: IDP.entityId, sso_url: IDP.ssoUrl, certificates: [IDP.certificate] },
    });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
    sp = { entityId: created.body.saml.sp_entity_id, acsUrl: created.body.saml.acs_url };
    expect((await live.api('POST', `/connections/${connectionId}/activate`)).body.state).toBe('active');
    client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [CALLBACK], initiate_login_uri: INITIATE })).body;
    config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => live.close());

  async function authorize(browser: HttpBrowser, params: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK, scope: 'openid email profile organization', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
    });
    return { page: await browser.follow(url.href, CALLBACK), verifier, state };
  }

  /** Email typed, AuthnRequest to the IdP, the IdP's response posted to the ACS, back to the app. */
  async function signIn(browser: HttpBrowser, person: { email: string; firstName?: string; lastName?: string }, overrides: ResponseOverrides = {}) {
    const { page, verifier, state } = await authorize(browser);
    const toIdp = await browser.submit(page, '/email', { email: person.email });
    expect(toIdp.location?.startsWith(IDP.ssoUrl)).toBe(true);
    const request = readRedirectRequest(toIdp.location!);
    const acs = await browser.request('POST', sp.acsUrl, { SAMLResponse: await samlResponse(sp, person, { inResponseTo: request.id, ...overrides }), RelayState: request.relayState });
    expect(acs.status).toBe(303);
    const back = await browser.follow(acs.location!, CALLBACK);
    return { back, verifier, state, request };
  }

  it('signs a new person in just in time: member, no sites, their claims in the ID token', async () => {
    const browser = new HttpBrowser();
    const { back, verifier, state, request } = await signIn(browser, { email: 'grace@acme.test', firstName: 'Grace', lastName: 'Hopper' });
    // The AuthnRequest: signed (HTTP-Redirect signature), for this SP, answered at this ACS.
    expect(request.url.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(request.url.searchParams.get('Signature')).toBeTruthy();
    expect(request.xml).toContain(`AssertionConsumerServiceURL="${sp.acsUrl}"`);
    expect(request.xml).toContain(`>${sp.entityId}</saml:Issuer>`);

    expect(back.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: verifier, expectedState: state });
    const user = (await live.api('GET', '/users?email=grace%40acme.test')).body.data[0];
    expect(tokens.claims()).toMatchObject({
      sub: user.id, email: 'grace@acme.test', email_verified: true, given_name: 'Grace', family_name: 'Hopper', name: 'Grace Hopper',
      org_id: orgId, org_role: 'member', sites: [],
    });
    const events = (await live.api('GET', `/events?organization_id=${orgId}&types=user.signed_in,membership.created,sso.signin_succeeded`)).body.data;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['membership.created', 'sso.signin_succeeded', 'user.signed_in']);
    expect(events[1].data).toEqual({ connection_id: connectionId, user_id: user.id, email: 'grace@acme.test', user_created: true });
    expect(events[2].data).toMatchObject({ user_id: user.id, method: 'sso', connection_id: connectionId });
  });

  it('reuses the same user on a second sign-in, and follows a name change from the IdP', async () => {
    const first = await signIn(new HttpBrowser(), { email: 'alan@acme.test', firstName: 'Alan', lastName: 'Turing' });
    expect(first.back.location).toMatch(/code=/);
    const second = await signIn(new HttpBrowser(), { email: 'alan@acme.test', firstName: 'Alan M.', lastName: 'Turing' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(second.back.location!), { pkceCodeVerifier: second.verifier, expectedState: second.state });
    const users = (await live.api('GET', '/users?email=alan%40acme.test')).body.data;
    expect(users).toHaveLength(1);
    expect(tokens.claims()).toMatchObject({ sub: users[0].id, given_name: 'Alan M.' });
  });

  it('IdP-initiated: the browser lands on the client\'s initiate_login_uri and the app\'s flow completes at once', async () => {
    const browser = new HttpBrowser();
    const acs = await browser.request('POST', sp.acsUrl, { SAMLResponse: await samlResponse(sp, { email: 'katherine@acme.test', firstName: 'Katherine' }) });
    expect(acs.status).toBe(303);
    const initiate = new URL(acs.location!);
    expect(`${initiate.origin}${initiate.pathname}`).toBe(INITIATE);
    expect(initiate.searchParams.get('iss')).toBe(live.url);
    // The app starts a normal authorisation request; no page asks for anything.
    const { page, verifier, state } = await authorize(browser);
    expect(page.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.location!), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ email: 'katherine@acme.test', org_id: orgId, org_role: 'member', sites: [] });
  });

  it('accepts an encrypted assertion, encrypted for the SP encryption certificate published in SP metadata', async () => {
    const metadata = await (await fetch(`${sp.entityId}/metadata`)).text();
    const base64 = /KeyDescriptor use="encryption">\s*<ds:KeyInfo><ds:X509Data><ds:X509Certificate>([^<]+)</.exec(metadata)![1]!;
    const certificatePem = `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
    const { back, verifier, state } = await signIn(new HttpBrowser(), { email: 'ada@acme.test', firstName: 'Ada' }, { encryptFor: { certificatePem } });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ email: 'ada@acme.test', given_name: 'Ada', org_id: orgId, org_role: 'member' });
  });

  it('answers SP metadata with the entity id, the ACS and signing and encryption certificates', async () => {
    const res = await fetch(`${sp.entityId}/metadata`);
    expect(res.headers.get('content-type')).toContain('xml');
    const xml = await res.text();
    expect(xml).toContain(`entityID="${sp.entityId}"`);
    expect(xml).toContain(`Location="${sp.acsUrl}"`);
    expect(xml).toContain('KeyDescriptor use="signing"');
    expect(xml).toContain('KeyDescriptor use="encryption"');
  });

  it('shows a refusal page with a reference, and the details in the activity log', async () => {
    const browser = new HttpBrowser();
    const refused = await browser.request('POST', sp.acsUrl, { SAMLResponse: await samlResponse(sp, { email: 'x@acme.test' }, { audience: 'https://someone-else.test' }) });
    expect(refused.status).toBe(403);
    expect(text(refused.html)).toContain('Reference:');
    expect(refused.html).not.toContain('x@acme.test');
    const event = (await live.api('GET', `/events?organization_id=${orgId}&types=sso.signin_failed`)).body.data.at(-1);
    expect(event.data).toMatchObject({ connection_id: connectionId, reason: 'audience_mismatch' });
  });
});
