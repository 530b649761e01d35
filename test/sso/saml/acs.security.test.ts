/**
 * The ACS against DESIGN.md "Security rules" (SAML bullets), one test per attack. Every bad response
 * differs from an accepted baseline by one change and must get the 403 refusal page, exactly one
 * `sso.signin_failed` event with the exact reason, no user, membership, IdP identity or login ticket,
 * and a page that never echoes the assertion, the NameID or the email. The just-in-time rules (Data
 * rules) run through the whole sign-in at the end. Signature wrapping and comment injection:
 * acs.wrapping.test.ts.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gatehouse } from '../../../src/app.ts';
import { rotateSpKeys } from '../../../src/sso/saml/sp-keys.ts';
import { encodeSamlResponse } from '../../../src/sso/simulator/saml-response.ts';
import { ensureMembership, upsertUser } from '../../../src/users/provisioning.ts';
import { HttpBrowser, type Page } from '../../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../../helpers/live-app.ts';
import { IDP, readRedirectRequest, samlResponseXml, type ResponseOverrides, type SpValues } from '../../helpers/saml.ts';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';

const INITIATE = 'https://workplace.test/start-login';
const SKEW_MS = 60_000;
const HOLDER_OF_KEY = 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key';

// ---- setup through the management API (the test app's supertest or the live app's fetch) ----

type Api = (method: 'GET' | 'POST' | 'PATCH', path: string, body?: object) => Promise<{ status: number; body: any }>;
interface Conn { id: string; sp: SpValues }

function testAppApi(t: TestApp): Api {
  return async (method, path, body) => {
    const url = `/api/v1${path}`;
    const res = method === 'GET' ? await t.api.get(url) : method === 'PATCH' ? await t.api.patch(url, body) : await t.api.post(url, body);
    return { status: res.status, body: res.body };
  };
}

/** An SSO-entitled org with one manually verified domain. */
async function createOrg(api: Api, name: string, domain: string, settings: object = {}): Promise<string> {
  const org = await api('POST', '/organizations', { name, sso_entitled: true, ...settings });
  expect(org.status).toBe(201);
  const created = await api('POST', `/organizations/${org.body.id}/domains`, { domain });
  expect((await api('POST', `/domains/${created.body.id}/verify`, { method: 'manual' })).status).toBe(200);
  return org.body.id;
}

/** A SAML connection trusting the test IdP's certificate, left in `state`. */
async function createConnection(api: Api, orgId: string, options: { idpInitiated?: boolean; state?: 'draft' | 'active' | 'inactive' } = {}): Promise<Conn> {
  const created = await api('POST', `/organizations/${orgId}/connections`, {
    type: 'saml', provider: 'okta', idp_initiated: options.idpInitiated ?? true,
    saml: { idp_entity_id: IDP.entityId, sso_url: IDP.ssoUrl, certificates: [IDP.certificate] },
  });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const state = options.state ?? 'active';
  if (state !== 'draft') expect((await api('POST', `/connections/${id}/activate`)).body.state).toBe('active');
  if (state === 'inactive') expect((await api('POST', `/connections/${id}/deactivate`)).body.state).toBe('inactive');
  return { id, sp: { entityId: created.body.saml.sp_entity_id, acsUrl: created.body.saml.acs_url } };
}

// ---- what a response leaves behind ----

const WATCHED = ['users', 'memberships', 'sso_identities', 'login_tickets'] as const;

async function stateOf(app: Gatehouse, tables: readonly (typeof WATCHED)[number][] = WATCHED) {
  const rows: Record<string, number> = {};
  for (const table of tables) rows[table] = (await app.db.selectFrom(table).select('id').execute()).length;
  const events = (await app.db.selectFrom('events').selectAll().orderBy('id').execute()).map((e) => ({ type: e.type, data: JSON.parse(e.data) as Record<string, any> }));
  return { rows, events };
}

/** The events written since `before`. */
const newEvents = (before: { events: unknown[] }, after: Awaited<ReturnType<typeof stateOf>>) => after.events.slice(before.events.length);

// ---- responses (test app: fixed clock) ----

interface Built { xml: string; email: string; nameId: string; assertionId: string }

/** The baseline response for a new person, with `overrides` as its one change. */
async function build(t: TestApp, conn: Conn, overrides: ResponseOverrides = {}): Promise<Built> {
  const email = `p${randomBytes(4).toString('hex')}@acme.test`;
  const assertionId = overrides.assertionId ?? `_a${randomBytes(16).toString('hex')}`;
  const xml = await samlResponseXml(conn.sp, { email }, { now: t.clock.now(), assertionId, ...overrides });
  return { xml, email, nameId: overrides.nameId ?? email, assertionId };
}

/** Replaces the first `from` in the XML (and fails loudly when the builder's output changed shape). */
function edit(built: Built, from: string, to: string): Built {
  expect(built.xml).toContain(from);
  return { ...built, xml: built.xml.replace(from, () => to) };
}

function postAcs(t: TestApp, conn: Conn, xml: string, relayState?: string) {
  return t.http.post(new URL(conn.sp.acsUrl).pathname).type('form').send({ SAMLResponse: encodeSamlResponse(xml), ...(relayState === undefined ? {} : { RelayState: relayState }) });
}

async function expectAccepted(t: TestApp, conn: Conn, built: Built, relayState?: string): Promise<string> {
  const res = await postAcs(t, conn, built.xml, relayState);
  expect(res.status, res.text).toBe(303);
  return res.headers.location as string;
}

/** 403, one `sso.signin_failed` with this reason (or one of these), nothing created, nothing echoed. */
async function expectRefused(t: TestApp, conn: Conn, built: Built, reason: string | readonly string[], relayState?: string): Promise<Record<string, any>> {
  const before = await stateOf(t.app);
  const res = await postAcs(t, conn, built.xml, relayState);
  expect(res.status).toBe(403);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  const after = await stateOf(t.app);
  expect(after.rows).toEqual(before.rows);
  const events = newEvents(before, after);
  expect(events.map((e) => e.type)).toEqual(['sso.signin_failed']);
  const data = events[0]!.data;
  if (typeof reason === 'string') expect(data.reason).toBe(reason);
  else expect(reason).toContain(data.reason);
  expect(data.connection_id).toBe(conn.id);
  expect(res.text).toContain(`<code>${data.reference}</code>`);
  for (const secret of [built.email, built.nameId, built.assertionId, 'saml:Assertion', 'urn:oasis', encodeSamlResponse(built.xml).slice(0, 60)]) {
    expect(res.text).not.toContain(secret);
  }
  return data;
}

/** An SP-initiated sign-in started without the provider: the stored request's ID and RelayState. */
async function spRequest(t: TestApp, conn: Conn) {
  const message = await t.app.saml.start(conn.id, { purpose: 'sign_in', interactionUid: 'some-uid-1234567' });
  if (message.binding !== 'redirect') throw new Error('expected the HTTP-Redirect binding');
  return readRedirectRequest(message.url);
}

const pem = (base64: string) => `-----BEGIN CERTIFICATE-----\n${base64.replace(/\s+/g, '').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
/** The test app's (fixed) time, moved by `offsetMs`. */
const clockPlus = (t: TestApp, offsetMs: number) => new Date(t.clock.now().getTime() + offsetMs);

describe('SAML ACS security (DESIGN.md Security rules)', () => {
  let t: TestApp;
  let orgId: string;
  let acme: Conn;

  beforeAll(async () => {
    t = await createTestApp({ SAML_CLOCK_SKEW: '60s' });
    const api = testAppApi(t);
    orgId = await createOrg(api, 'Acme', 'acme.test');
    acme = await createConnection(api, orgId);
    expect((await api('POST', '/clients', { name: 'Workplace', redirect_uris: ['https://workplace.test/callback'], initiate_login_uri: INITIATE })).status).toBe(201);
  });
  afterAll(async () => t.close());

  describe('baseline', () => {
    it('accepts the baseline IdP-initiated response: 303 to the app\'s initiate_login_uri with a ticket cookie', async () => {
      const before = await stateOf(t.app);
      const res = await postAcs(t, acme, (await build(t, acme)).xml);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`${INITIATE}?iss=${encodeURIComponent('http://gatehouse.test')}`);
      expect(String(res.headers['set-cookie'])).toMatch(/gh_sso_ticket=/);
      const after = await stateOf(t.app);
      expect(newEvents(before, after).filter((e) => e.type === 'sso.signin_failed')).toEqual([]);
      expect(after.rows.login_tickets).toBe(Number(before.rows.login_tickets) + 1);
    });

    it('accepts the baseline SP-initiated response: 303 back to the sign-in interaction', async () => {
      const request = await spRequest(t, acme);
      expect(await expectAccepted(t, acme, await build(t, acme, { inResponseTo: request.id }), request.relayState)).toBe('/login/some-uid-1234567/sso');
    });
  });

  describe('signature: required, by a certificate of the connection, over what is read', () => {
    it('refuses an unsigned response (neither the Response nor the Assertion signed)', async () => {
      await expectRefused(t, acme, await build(t, acme, { signing: { sign: 'none' } }), 'unsigned');
    });

    it('refuses a response signed by a key the connection does not trust, and logs that certificate for the admin', async () => {
      const built = await build(t, acme, { signing: { privateKeyPem: IDP.rotatedKey, certificatePem: IDP.rotatedCertificate } });
      const data = await expectRefused(t, acme, built, 'certificate_unknown');
      const rotated = new X509Certificate(IDP.rotatedCertificate);
      expect(data.certificate.fingerprint_sha256).toBe(rotated.fingerprint256);
      expect(data.certificate.not_after).toBe(rotated.validToDate.toISOString());
    });

    it('refuses a signed assertion whose NameID was changed after signing (digest mismatch)', async () => {
      const built = await build(t, acme);
      await expectRefused(t, acme, edit(built, `>${built.email}</saml:NameID>`, '>admin@acme.test</saml:NameID>'), 'signature_invalid');
    });
  });

  describe('SHA-1 refused', () => {
    it('refuses an RSA-SHA1 signature', async () => {
      await expectRefused(t, acme, await build(t, acme, { signing: { signatureAlgorithm: 'sha1' } }), 'sha1_refused');
    });

    it('refuses an RSA-SHA256 signature over a SHA-1 digest', async () => {
      await expectRefused(t, acme, await build(t, acme, { signing: { signatureAlgorithm: 'sha256', digestAlgorithm: 'sha1' } }), 'sha1_refused');
    });
  });

  describe('DOCTYPE and processing instructions refused before parsing', () => {
    it('refuses a DTD with nested entity expansion ("billion laughs")', async () => {
      const built = await build(t, acme);
      const entities = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('');
      const bomb = edit(built, `>${built.email}</saml:NameID>`, '>&lol9;</saml:NameID>');
      await expectRefused(t, acme, { ...bomb, xml: `<?xml version="1.0"?><!DOCTYPE samlp:Response [<!ENTITY lol "lol">${entities}]>${bomb.xml}` }, 'doctype_refused');
    });

    it('refuses an external entity (XXE) reading a local file', async () => {
      const built = await build(t, acme);
      const xxe = edit(built, `>${built.email}</saml:NameID>`, '>&xxe;</saml:NameID>');
      await expectRefused(t, acme, { ...xxe, xml: `<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${xxe.xml}` }, 'doctype_refused');
    });

    it('refuses a processing instruction inside the signed assertion', async () => {
      const built = await build(t, acme);
      const local = built.email.split('@')[0]!;
      await expectRefused(t, acme, edit(built, `>${built.email}<`, `>${local}<?gatehouse-test x?>@acme.test<`), 'doctype_refused');
    });
  });

  describe('audience, recipient, destination, issuer, bearer confirmation', () => {
    it('refuses an assertion for another SP (wrong Audience)', async () => {
      await expectRefused(t, acme, await build(t, acme, { audience: 'https://other-sp.test/saml' }), 'audience_mismatch');
    });

    it('refuses an assertion without an AudienceRestriction', async () => {
      await expectRefused(t, acme, await build(t, acme, { audience: null }), 'audience_mismatch');
    });

    it('refuses a bearer confirmation whose Recipient is another ACS', async () => {
      await expectRefused(t, acme, await build(t, acme, { recipient: 'https://other-sp.test/acs' }), 'recipient_mismatch');
    });

    it('refuses a bearer confirmation without a Recipient', async () => {
      await expectRefused(t, acme, await build(t, acme, { recipient: null }), 'recipient_mismatch');
    });

    it('refuses a Response whose Destination is another ACS', async () => {
      await expectRefused(t, acme, await build(t, acme, { destination: 'https://other-sp.test/acs' }), 'destination_mismatch');
    });

    it('refuses a Response without a Destination', async () => {
      await expectRefused(t, acme, await build(t, acme, { destination: null }), 'destination_mismatch');
    });

    it('refuses an assertion from another Issuer (even signed by the trusted key)', async () => {
      await expectRefused(t, acme, await build(t, acme, { issuer: 'https://evil-idp.test/saml' }), 'issuer_mismatch');
    });

    it('refuses an assertion without any SubjectConfirmation', async () => {
      await expectRefused(t, acme, await build(t, acme, { subjectConfirmationMethod: null }), 'bearer_missing');
    });

    it('refuses an assertion whose only SubjectConfirmation is holder-of-key, not bearer', async () => {
      await expectRefused(t, acme, await build(t, acme, { subjectConfirmationMethod: HOLDER_OF_KEY }), 'bearer_missing');
    });
  });

  describe('time window with SAML_CLOCK_SKEW = 60s', () => {
    it('refuses an assertion whose Conditions NotOnOrAfter passed more than the skew ago', async () => {
      await expectRefused(t, acme, await build(t, acme, { notOnOrAfter: clockPlus(t, -SKEW_MS - 30_000) }), 'expired');
    });

    it('accepts an assertion whose Conditions NotOnOrAfter passed less than the skew ago', async () => {
      await expectAccepted(t, acme, await build(t, acme, { notOnOrAfter: clockPlus(t, -SKEW_MS + 30_000) }));
    });

    it('refuses an assertion whose NotBefore is more than the skew ahead', async () => {
      await expectRefused(t, acme, await build(t, acme, { notBefore: clockPlus(t, SKEW_MS + 30_000) }), 'not_yet_valid');
    });

    it('accepts an assertion whose NotBefore is less than the skew ahead', async () => {
      await expectAccepted(t, acme, await build(t, acme, { notBefore: clockPlus(t, SKEW_MS - 30_000) }));
    });

    it('refuses an expired bearer SubjectConfirmationData NotOnOrAfter even when the Conditions are valid', async () => {
      await expectRefused(t, acme, await build(t, acme, { subjectConfirmationNotOnOrAfter: clockPlus(t, -SKEW_MS - 30_000) }), 'expired');
    });
  });

  describe('replay and InResponseTo / RelayState binding', () => {
    it('refuses the same accepted response posted a second time (assertion id replay)', async () => {
      const built = await build(t, acme);
      await expectAccepted(t, acme, built);
      await expectRefused(t, acme, built, 'replayed');
    });

    it('refuses an InResponseTo that names no request Gatehouse sent', async () => {
      await expectRefused(t, acme, await build(t, acme, { inResponseTo: `_${randomBytes(20).toString('hex')}` }), 'in_response_to_unknown');
    });

    it('refuses the right InResponseTo with a RelayState that is not the one sent with the request', async () => {
      const request = await spRequest(t, acme);
      await expectRefused(t, acme, await build(t, acme, { inResponseTo: request.id }), 'relay_state_mismatch', `${request.relayState}x`);
    });

    it('refuses an answer to a request of another connection (and that request stays answerable there)', async () => {
      const other = await createConnection(testAppApi(t), orgId, { idpInitiated: false });
      const request = await spRequest(t, other);
      await expectRefused(t, acme, await build(t, acme, { inResponseTo: request.id }), 'in_response_to_unknown', request.relayState);
      expect(await expectAccepted(t, other, await build(t, other, { inResponseTo: request.id }), request.relayState)).toBe('/login/some-uid-1234567/sso');
    });

    it('refuses a second, different assertion answering a request that was already answered', async () => {
      const request = await spRequest(t, acme);
      await expectAccepted(t, acme, await build(t, acme, { inResponseTo: request.id }), request.relayState);
      await expectRefused(t, acme, await build(t, acme, { inResponseTo: request.id }), 'in_response_to_unknown', request.relayState);
    });
  });

  describe('IdP-initiated only where allowed; a draft or inactive connection signs nobody in', () => {
    it.each(['draft', 'inactive'] as const)('refuses an IdP-initiated response at a %s connection', async (state) => {
      const conn = await createConnection(testAppApi(t), orgId, { state });
      await expectRefused(t, conn, await build(t, conn), 'idp_initiated_disabled');
    });

    it('refuses an IdP-initiated response at an active connection with idp_initiated off', async () => {
      const spOnly = await createConnection(testAppApi(t), orgId, { idpInitiated: false });
      await expectRefused(t, spOnly, await build(t, spOnly), 'idp_initiated_disabled');
    });

    it.each(['draft', 'inactive'] as const)('refuses an SP-initiated sign-in answered at a %s connection', async (state) => {
      const conn = await createConnection(testAppApi(t), orgId, { state });
      const request = await spRequest(t, conn);
      await expectRefused(t, conn, await build(t, conn, { inResponseTo: request.id }), 'connection_inactive', request.relayState);
    });
  });

  describe('encrypted assertions and exactly one assertion', () => {
    let spEncryptionCert: string;
    beforeAll(async () => {
      const metadata = await t.http.get(`/sso/saml/${acme.id}/metadata`).buffer(true);
      const match = /<md:KeyDescriptor use="encryption">[\s\S]*?<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(metadata.text);
      spEncryptionCert = pem(match![1]!);
    });

    it('accepts an assertion encrypted for the SP encryption certificate from its metadata', async () => {
      await expectAccepted(t, acme, await build(t, acme, { encryptFor: { certificatePem: spEncryptionCert } }));
    });

    it('refuses an assertion encrypted for another key', async () => {
      const wrongKey = readFileSync(new URL('../../../fixtures/saml/sp-encryption.crt', import.meta.url), 'utf8');
      await expectRefused(t, acme, await build(t, acme, { encryptFor: { certificatePem: wrongKey } }), 'decryption_failed');
    });

    it('refuses an encrypted assertion signed by an untrusted key, never naming Gatehouse\'s own encryption certificate as the signer', async () => {
      const built = await build(t, acme, { encryptFor: { certificatePem: spEncryptionCert }, signing: { privateKeyPem: IDP.rotatedKey, certificatePem: IDP.rotatedCertificate } });
      const data = await expectRefused(t, acme, built, ['signature_invalid', 'certificate_unknown']);
      expect(data.certificate?.fingerprint_sha256).not.toBe(new X509Certificate(spEncryptionCert).fingerprint256);
    });

    it('refuses a response carrying a plain and an encrypted assertion', async () => {
      const plain = await build(t, acme);
      const encrypted = (await build(t, acme, { encryptFor: { certificatePem: spEncryptionCert } })).xml;
      const second = /<saml:EncryptedAssertion[\s\S]*<\/saml:EncryptedAssertion>/.exec(encrypted)![0];
      await expectRefused(t, acme, edit(plain, '</saml:Assertion>', `</saml:Assertion>${second}`), 'multiple_assertions');
    });

    it('refuses a response carrying two signed assertions', async () => {
      const plain = await build(t, acme);
      const other = (await build(t, acme)).xml;
      const second = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(other)![0];
      await expectRefused(t, acme, edit(plain, '</saml:Assertion>', `</saml:Assertion>${second}`), 'multiple_assertions');
    });

    // Last in this app: it rotates the SP keys.
    it('accepts an assertion encrypted for the previous SP encryption key during the rotation overlap', async () => {
      await rotateSpKeys(t.app.db, t.clock, t.app.ctx.box);
      // The ACS reads SP keys once a minute: past that, the new key is current and the old one in its overlap.
      t.clock.advance(61_000);
      await expectAccepted(t, acme, await build(t, acme, { encryptFor: { certificatePem: spEncryptionCert } }));
    });
  });
});

// ---- the whole sign-in: the app (openid-client) -> Gatehouse -> the test IdP -> ACS -> provisioning ----

const CALLBACK = 'http://127.0.0.1:9/callback';

describe('just-in-time provisioning refusals through the whole sign-in (DESIGN.md Data rules)', () => {
  let live: LiveApp;
  let acmeOrg: string;
  let acme: Conn;
  let config: oidc.Configuration;

  beforeAll(async () => {
    live = await startLiveApp();
    acmeOrg = await createOrg(live.api, 'Acme', 'acme.test');
    acme = await createConnection(live.api, acmeOrg);
    const client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [CALLBACK], initiate_login_uri: INITIATE })).body;
    config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => live.close());

  /** The app's authorisation request, the email typed, and the AuthnRequest Gatehouse sent to the IdP. */
  async function startSignIn(browser: HttpBrowser, typedEmail: string) {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK, scope: 'openid email organization', state: oidc.randomState(),
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const toIdp = await browser.submit(await browser.follow(url.href, CALLBACK), '/email', { email: typedEmail });
    expect(toIdp.location?.startsWith(IDP.ssoUrl)).toBe(true);
    return readRedirectRequest(toIdp.location!);
  }

  /** The IdP's (accepted) answer posted to the ACS. */
  async function answer(browser: HttpBrowser, conn: Conn, request: { id: string; relayState: string }, person: { email: string; nameId?: string }): Promise<Page> {
    const xml = await samlResponseXml(conn.sp, { email: person.email }, { inResponseTo: request.id, nameId: person.nameId ?? person.email });
    const acs = await browser.request('POST', conn.sp.acsUrl, { SAMLResponse: encodeSamlResponse(xml), RelayState: request.relayState });
    expect(acs.status).toBe(303);
    return acs;
  }

  async function signIn(conn: Conn, typedEmail: string, person: { email: string; nameId?: string }): Promise<Page> {
    const browser = new HttpBrowser();
    const acs = await answer(browser, conn, await startSignIn(browser, typedEmail), person);
    return browser.follow(acs.location!, CALLBACK);
  }

  const userIdOf = async (email: string) => (await live.app.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst())?.id;

  /** The ACS accepted, provisioning refused: the refusal page, one event with the reason, no new rows, nobody signed in. */
  async function expectProvisioningRefused(reason: string, run: () => Promise<Page>, person: { email: string; nameId?: string }) {
    const tables = ['users', 'memberships', 'sso_identities'] as const;
    const before = await stateOf(live.app, tables);
    const page = await run();
    expect(page.status).toBe(403);
    expect(page.location).toBeUndefined();
    const after = await stateOf(live.app, tables);
    expect(after.rows).toEqual(before.rows);
    const events = newEvents(before, after);
    expect(events.filter((e) => e.type === 'sso.signin_failed').map((e) => e.data.reason)).toEqual([reason]);
    expect(events.filter((e) => e.type === 'user.signed_in' || e.type === 'membership.created' || e.type === 'user.created')).toEqual([]);
    expect(page.html).toContain(`<code>${events.find((e) => e.type === 'sso.signin_failed')!.data.reference}</code>`);
    for (const secret of [person.email, person.nameId ?? person.email, 'urn:oasis']) expect(page.html).not.toContain(secret);
  }

  it('signs a new person of the org in (the baseline the refusals differ from)', async () => {
    const page = await signIn(acme, 'ada@acme.test', { email: 'ada@acme.test' });
    expect(page.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    expect(await userIdOf('ada@acme.test')).toBeDefined();
  });

  it('refuses an email on another org\'s verified domain, sent by this org\'s IdP (no takeover of that org\'s member)', async () => {
    const globex = await createOrg(live.api, 'Globex', 'globex.test');
    await live.app.uow(async (trx) => {
      const { user } = await upsertUser(trx, live.call, { email: 'roadrunner@globex.test', email_verified: true });
      await ensureMembership(trx, live.call, { organizationId: globex, userId: user.id, role: 'admin', source: 'api' });
    });
    const person = { email: 'roadrunner@globex.test', nameId: 'okta-roadrunner' };
    await expectProvisioningRefused('email_outside_org_domains', () => signIn(acme, 'someone@acme.test', person), person);
  });

  it('refuses an unknown person when the org has auto-provisioning off, and creates no user', async () => {
    const initech = await createOrg(live.api, 'Initech', 'initech.test', { auto_provision: false });
    const conn = await createConnection(live.api, initech);
    const person = { email: 'milton@initech.test' };
    await expectProvisioningRefused('auto_provision_off', () => signIn(conn, person.email, person), person);
    expect(await userIdOf(person.email)).toBeUndefined();
  });

  it('refuses a person whose membership an admin disabled', async () => {
    const person = { email: 'bob@acme.test' };
    expect((await signIn(acme, person.email, person)).location).toMatch(/code=/);
    const userId = await userIdOf(person.email);
    const memberships = (await live.api('GET', `/organizations/${acmeOrg}/memberships`)).body.data as Array<{ id: string; user_id: string }>;
    const bobs = memberships.filter((m) => m.user_id === userId);
    expect(bobs).toHaveLength(1);
    expect((await live.api('POST', `/memberships/${bobs[0]!.id}/disable`)).body.state).toBe('disabled');
    await expectProvisioningRefused('membership_disabled', () => signIn(acme, person.email, person), person);
  });

  it('refuses a second IdP subject claiming the email already linked to another subject of the same connection', async () => {
    expect((await signIn(acme, 'dup@acme.test', { email: 'dup@acme.test', nameId: 'okta-00u-first' })).location).toMatch(/code=/);
    const person = { email: 'dup@acme.test', nameId: 'okta-00u-second' };
    await expectProvisioningRefused('identity_conflict', () => signIn(acme, person.email, person), person);
    const links = await live.app.db.selectFrom('sso_identities').select('subject').where('user_id', '=', (await userIdOf('dup@acme.test'))!).execute();
    expect(links.map((l) => l.subject)).toEqual(['okta-00u-first']);
  });

  it('creates exactly one user when the same new person\'s first two sign-ins arrive at once', async () => {
    const person = { email: 'twice@acme.test' };
    const browsers = [new HttpBrowser(), new HttpBrowser()];
    const requests = await Promise.all(browsers.map((b) => startSignIn(b, person.email)));
    const acs = await Promise.all(browsers.map((b, i) => answer(b, acme, requests[i]!, person)));
    const pages = await Promise.all(browsers.map((b, i) => b.follow(acs[i]!.location!, CALLBACK)));
    for (const page of pages) expect(page.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const users = await live.app.db.selectFrom('users').select('id').where('email', '=', person.email).execute();
    expect(users).toHaveLength(1);
    expect(await live.app.db.selectFrom('memberships').select('id').where('user_id', '=', users[0]!.id).execute()).toHaveLength(1);
    expect(await live.app.db.selectFrom('sso_identities').select('id').where('user_id', '=', users[0]!.id).execute()).toHaveLength(1);
  });
});
