import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIdpMetadata } from '../../../src/sso/saml/idp-metadata.ts';
import { postBindingCsp } from '../../../src/sso/simulator/post-binding-csp.ts';
import { createSimulatorConnection } from '../../../src/sso/simulator/simulator-connection.ts';
import { SIMULATOR_KEY_FILE } from '../../../src/sso/simulator/simulator-key.ts';
import { HttpBrowser, type Page, text } from '../../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../../helpers/live-app.ts';
import { readRedirectRequest } from '../../helpers/saml.ts';
import { createTestApp } from '../../helpers/test-app.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';
const INITIATE = 'https://workplace.test/start-login';

/** An AuthnRequest as an SP sends it over HTTP-Redirect (DEFLATE, base64), to the simulator's SSO URL. */
function redirectRequest(ssoUrl: string, xml: string, relayState = 'relay-1'): string {
  const url = new URL(ssoUrl);
  url.searchParams.set('SAMLRequest', deflateRawSync(Buffer.from(xml)).toString('base64'));
  url.searchParams.set('RelayState', relayState);
  return url.href;
}

function authnRequestXml(issuer: string, acsUrl: string, prolog = ''): string {
  return `${prolog}<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_req1" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceURL="${acsUrl}"><saml:Issuer>${issuer}</saml:Issuer></samlp:AuthnRequest>`;
}

/** Problem+json for a page route: what the error handler answers a non-browser. */
async function problem(url: string): Promise<{ status: number; code: string; detail: string }> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = (await res.json()) as { title: string; detail: string };
  return { status: res.status, code: body.title, detail: body.detail };
}

const hidden = (page: Page, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page.html)?.[1];

/** The app (openid-client) -> Gatehouse -> the IdP simulator's page -> the ACS -> code -> tokens. */
describe('IdP simulator (development mode)', () => {
  let live: LiveApp;
  let orgId: string;
  let connectionId: string;
  let sp: { entityId: string; acsUrl: string };
  let config: oidc.Configuration;
  const simulator = () => ({ ssoUrl: `${live.url}/sso/simulator/sso`, metadataUrl: `${live.url}/sso/simulator/metadata` });

  beforeAll(async () => {
    live = await startLiveApp();
    orgId = (await live.api('POST', '/organizations', { name: 'Demo Co', sso_entitled: true })).body.id;
    const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'demo.test' })).body;
    expect((await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' })).status).toBe(200);
    const connection = await live.app.uow((trx) => createSimulatorConnection(trx, live.call, orgId));
    connectionId = connection.id;
    const view = (await live.api('GET', `/connections/${connectionId}`)).body;
    expect(view).toMatchObject({ state: 'active', provider: 'generic-saml', name: 'IdP simulator', idp_initiated: true, saml: { idp_entity_id: `${live.url}/sso/simulator`, sso_url: simulator().ssoUrl } });
    sp = { entityId: view.saml.sp_entity_id, acsUrl: view.saml.acs_url };
    const client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [CALLBACK], initiate_login_uri: INITIATE })).body;
    config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => live.close());

  async function authorize(browser: HttpBrowser) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK, scope: 'openid email profile organization', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    return { page: await browser.follow(url.href, CALLBACK), verifier, state };
  }

  /** From the app to the simulator's page: the email step sends the browser to the simulator. */
  async function toSimulator(browser: HttpBrowser, email: string) {
    const { page, verifier, state } = await authorize(browser);
    const toIdp = await browser.submit(page, '/email', { email });
    expect(toIdp.location?.startsWith(`${simulator().ssoUrl}?`)).toBe(true);
    return { simulatorPage: await browser.get(toIdp.location!), request: readRedirectRequest(toIdp.location!), verifier, state };
  }

  it('signs a person in through the real ACS: simulator page -> post-binding page -> ACS -> the app gets a code', async () => {
    const browser = new HttpBrowser();
    const { simulatorPage, request, verifier, state } = await toSimulator(browser, 'grace@demo.test');
    expect(simulatorPage.status).toBe(200);
    const shown = text(simulatorPage.html);
    expect(shown).toContain('Development IdP simulator — never in production');
    expect(shown).toContain('Sign in to Demo Co');
    expect(shown).toContain('Any address at demo.test');
    // Accessible: every input the tester types in has its label.
    for (const [id, label] of [['email', 'Email'], ['first_name', 'First name'], ['last_name', 'Last name'], ['groups', 'Groups']]) {
      expect(simulatorPage.html).toMatch(new RegExp(`<label class="field__label" for="${id}">${label}</label>`));
    }
    // The pending request rides in hidden fields, checked again on POST.
    expect(hidden(simulatorPage, 'request_id')).toBe(request.id);
    expect(hidden(simulatorPage, 'relay_state')).toBe(request.relayState);
    expect(hidden(simulatorPage, 'acs_url')).toBe(sp.acsUrl);
    // The email field is empty: the tester types whoever they want.
    expect(simulatorPage.html).not.toMatch(/id="email"[^>]*value=/);

    const post = await browser.submit(simulatorPage, '/sso/simulator/sso', { email: 'grace@demo.test', first_name: 'Grace', last_name: 'Hopper', groups: 'Engineering, London office' });
    expect(post.status).toBe(200);
    expect(post.html).toContain(`action="${sp.acsUrl}"`);
    expect(post.html).toContain('data-autosubmit');
    expect(hidden(post, 'RelayState')).toBe(request.relayState);
    const xml = Buffer.from(hidden(post, 'SAMLResponse')!, 'base64').toString('utf8');
    expect(xml).toContain(`InResponseTo="${request.id}"`);
    expect(xml).toContain(`Destination="${sp.acsUrl}"`);
    expect(xml).toContain(`<saml:Audience>${sp.entityId}</saml:Audience>`);
    expect(xml).toContain('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(xml).toContain('<saml:AttributeValue>London office</saml:AttributeValue>');

    const acs = await browser.submit(post, '/acs', {});
    expect(acs.status).toBe(303);
    const back = await browser.follow(acs.location!, CALLBACK);
    expect(back.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ email: 'grace@demo.test', email_verified: true, given_name: 'Grace', family_name: 'Hopper', org_id: orgId, org_role: 'member', sites: [] });
  });

  it('IdP-initiated from /sso/simulator/start/:id: no InResponseTo, and the ACS sends the browser to the app\'s initiate_login_uri', async () => {
    const browser = new HttpBrowser();
    const page = await browser.get(`${live.url}/sso/simulator/start/${connectionId}`);
    expect(page.status).toBe(200);
    expect(text(page.html)).toContain('this simulator (IdP-initiated)');
    expect(hidden(page, 'request_id')).toBe('');
    const post = await browser.submit(page, '/sso/simulator/sso', { email: 'katherine@demo.test', first_name: 'Katherine' });
    expect(Buffer.from(hidden(post, 'SAMLResponse')!, 'base64').toString('utf8')).not.toContain('InResponseTo');
    const acs = await browser.submit(post, '/acs', {});
    expect(acs.status).toBe(303);
    expect(acs.location).toBe(`${INITIATE}?iss=${encodeURIComponent(live.url)}`);
  });

  it('asks again, with the values kept, for an email off the org\'s verified domains', async () => {
    const browser = new HttpBrowser();
    const { simulatorPage } = await toSimulator(browser, 'ada@demo.test');
    const again = await browser.submit(simulatorPage, '/sso/simulator/sso', { email: 'ada@elsewhere.test', first_name: 'Ada' });
    expect(again.status).toBe(422);
    expect(text(again.html)).toContain('Use an address @demo.test');
    expect(again.html).toContain('aria-invalid="true"');
    expect(again.html).toMatch(/id="first_name"[^>]*value="Ada"/);
    expect(again.html).not.toContain('SAMLResponse');
  });

  it('refuses an AuthnRequest whose ACS URL is not the connection\'s ACS', async () => {
    const res = await problem(redirectRequest(simulator().ssoUrl, authnRequestXml(sp.entityId, 'https://attacker.test/acs')));
    expect(res).toMatchObject({ status: 400, code: 'acs_url_mismatch' });
    // The same request with the connection's own ACS is served.
    const ok = await new HttpBrowser().get(redirectRequest(simulator().ssoUrl, authnRequestXml(sp.entityId, sp.acsUrl)));
    expect(ok.status).toBe(200);
  });

  it('refuses a form whose hidden ACS URL was changed, and one without its CSRF token', async () => {
    const browser = new HttpBrowser();
    const { simulatorPage } = await toSimulator(browser, 'alan@demo.test');
    const tampered = await browser.submit(simulatorPage, '/sso/simulator/sso', { email: 'alan@demo.test', acs_url: 'https://attacker.test/acs' });
    expect(tampered.status).toBe(400);
    expect(tampered.html).not.toContain('SAMLResponse');
    const noCsrf = await browser.submit(simulatorPage, '/sso/simulator/sso', { email: 'alan@demo.test', _csrf: '' });
    expect(noCsrf.status).toBe(403);
  });

  it('refuses a DOCTYPE, an unknown issuer, a connection that does not trust the simulator, and a non-request', async () => {
    const doctype = await problem(redirectRequest(simulator().ssoUrl, authnRequestXml(sp.entityId, sp.acsUrl, '<!DOCTYPE x [<!ENTITY e "e">]>')));
    expect(doctype).toMatchObject({ status: 400, code: 'bad_saml_request' });
    expect(doctype.detail).toContain('<!DOCTYPE>');
    const unknown = await problem(redirectRequest(simulator().ssoUrl, authnRequestXml(`${live.url}/sso/saml/conn_00000000000000000000000000`, sp.acsUrl)));
    expect(unknown).toMatchObject({ status: 404, code: 'unknown_sp' });
    const okta = await live.api('POST', `/organizations/${orgId}/connections`, {
      type: 'saml', provider: 'okta', saml: { idp_entity_id: 'https://idp.example.test', sso_url: 'https://idp.example.test/sso', certificates: [fs.readFileSync(new URL('../../../fixtures/saml/idp-signing.crt', import.meta.url), 'utf8')] },
    });
    const other = await problem(`${live.url}/sso/simulator/start/${okta.body.id}`);
    expect(other).toMatchObject({ status: 409, code: 'not_a_simulator_connection' });
    expect(await problem(`${simulator().ssoUrl}?SAMLRequest=not-deflate`)).toMatchObject({ status: 400, code: 'bad_saml_request' });
  });

  it('lets the post-binding page\'s form lead to the ACS and on to any registered app (form-action applies to the redirects)', async () => {
    const csp = await postBindingCsp(live.app.db, sp.acsUrl);
    const formAction = /form-action ([^;]+)/.exec(csp)![1]!.split(' ');
    expect(formAction).toEqual(expect.arrayContaining(["'self'", new URL(sp.acsUrl).origin, 'http://127.0.0.1:9', 'https://workplace.test']));
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('publishes IdP metadata that Gatehouse itself reads: entity id, HTTP-Redirect SSO URL, signing certificate', async () => {
    const res = await fetch(simulator().metadataUrl);
    expect(res.headers.get('content-type')).toContain('xml');
    const metadata = parseIdpMetadata(await res.text(), { now: new Date() });
    expect(metadata.entityId).toBe(`${live.url}/sso/simulator`);
    expect(metadata.ssoUrl.redirect).toBe(simulator().ssoUrl);
    expect(metadata.certificates).toHaveLength(1);
    expect(metadata.certificates[0]!.subject).toContain('Gatehouse IdP simulator');
  });

  it('keeps its key in the data directory (0600): after a restart the certificate is the same and sign-in still works', async () => {
    const file = path.join(live.dir, SIMULATOR_KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const pem = fs.readFileSync(file, 'utf8');
    expect(pem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(pem).toContain('-----BEGIN CERTIFICATE-----');
    const before = await (await fetch(simulator().metadataUrl)).text();

    const port = Number(new URL(live.url).port);
    await live.stop();
    const again = await startLiveApp({ dir: live.dir, port, apiKey: live.apiKey });
    try {
      expect(await (await fetch(simulator().metadataUrl)).text()).toBe(before);
      expect(fs.readFileSync(file, 'utf8')).toBe(pem);
      const certificate = new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0]);
      expect(certificate.subject).toBe('CN=Gatehouse IdP simulator');

      const browser = new HttpBrowser();
      const { simulatorPage, verifier, state } = await toSimulator(browser, 'hedy@demo.test');
      const post = await browser.submit(simulatorPage, '/sso/simulator/sso', { email: 'hedy@demo.test', first_name: 'Hedy' });
      const back = await browser.follow((await browser.submit(post, '/acs', {})).location!, CALLBACK);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: verifier, expectedState: state });
      expect(tokens.claims()).toMatchObject({ email: 'hedy@demo.test', given_name: 'Hedy', org_role: 'member' });
    } finally {
      live = again;
    }
  });
});

describe('IdP simulator in production mode', () => {
  it('does not exist: every simulator route answers 404', async () => {
    const t = await createTestApp();
    try {
      expect(t.app.config.mode).toBe('production');
      for (const route of ['/sso/simulator', '/sso/simulator/sso?SAMLRequest=x', '/sso/simulator/metadata', '/sso/simulator/start/conn_00000000000000000000000000']) {
        const res = await t.http.get(route).set('Accept', 'application/json');
        expect(res.status, route).toBe(404);
        expect(res.body.title).toBe('not_found');
      }
      expect((await t.http.post('/sso/simulator/sso').type('form').send({ email: 'a@b.test' })).status).toBe(404);
      expect(fs.existsSync(path.join(t.dir, SIMULATOR_KEY_FILE))).toBe(false);
    } finally {
      await t.close();
    }
  });

  it('exists in development mode (the same app otherwise)', async () => {
    const t = await createTestApp({ GATEHOUSE_MODE: 'development' });
    try {
      const res = await t.http.get('/sso/simulator/metadata');
      expect(res.status).toBe(200);
      expect(res.text).toContain('entityID="http://gatehouse.test/sso/simulator"');
    } finally {
      await t.close();
    }
  });
});
