/**
 * Attacks that keep a valid IdP signature and change what a reader sees (DESIGN.md Security rules:
 * "exactly one assertion", "profile values read only from the verified assertion"): XML signature
 * wrapping XSW1–XSW8 (Somorovsky et al., "On Breaking SAML: Be Whoever You Want to Be", USENIX Security
 * 2012; the variants as SAML Raider names them) and comment injection into the NameID and email
 * (CVE-2017-11427 class). The other ACS rules: acs.security.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { DOMParser, XMLSerializer, type Element } from '@xmldom/xmldom';
import * as oidc from 'openid-client';
import { SignedXml } from 'xml-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gatehouse } from '../../../src/app.ts';
import { encodeSamlResponse } from '../../../src/sso/simulator/saml-response.ts';
import { HttpBrowser, type Page } from '../../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../../helpers/live-app.ts';
import { IDP, readRedirectRequest, samlResponseXml, type ResponseOverrides, type SpValues } from '../../helpers/saml.ts';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const INITIATE = 'https://workplace.test/start-login';
const CALLBACK = 'http://127.0.0.1:9/callback';
const ADMIN = 'admin@acme.test';
/** Any of these is a correct refusal of a wrapped document. */
const SIGNATURE_REFUSALS = ['multiple_assertions', 'signature_invalid', 'assertion_missing', 'unsigned'];

// ---- setup through the management API (the test app's supertest or the live app's fetch) ----

type Api = (method: 'POST', path: string, body?: object) => Promise<{ status: number; body: any }>;
interface Conn { id: string; sp: SpValues }

/** Org "Acme" (SSO entitled, acme.test verified), an active SAML connection (IdP-initiated allowed), and an app with an initiate_login_uri. */
async function createAcme(api: Api, redirectUri: string): Promise<{ orgId: string; conn: Conn; client: { client_id: string; client_secret: string } }> {
  const orgId: string = (await api('POST', '/organizations', { name: 'Acme', sso_entitled: true })).body.id;
  const domain = (await api('POST', `/organizations/${orgId}/domains`, { domain: 'acme.test' })).body;
  expect((await api('POST', `/domains/${domain.id}/verify`, { method: 'manual' })).status).toBe(200);
  const created = await api('POST', `/organizations/${orgId}/connections`, {
    type: 'saml', provider: 'okta', idp_initiated: true,
    saml: { idp_entity_id: IDP.entityId, sso_url: IDP.ssoUrl, certificates: [IDP.certificate] },
  });
  expect(created.status).toBe(201);
  expect((await api('POST', `/connections/${created.body.id}/activate`)).body.state).toBe('active');
  const client = await api('POST', '/clients', { name: 'Workplace', redirect_uris: [redirectUri], initiate_login_uri: INITIATE });
  expect(client.status).toBe(201);
  return { orgId, conn: { id: created.body.id, sp: { entityId: created.body.saml.sp_entity_id, acsUrl: created.body.saml.acs_url } }, client: client.body };
}

async function stateOf(app: Gatehouse) {
  const rows: Record<string, number> = {};
  for (const table of ['users', 'memberships', 'sso_identities', 'login_tickets'] as const) rows[table] = (await app.db.selectFrom(table).select('id').execute()).length;
  const events = (await app.db.selectFrom('events').selectAll().orderBy('id').execute()).map((e) => ({ type: e.type, data: JSON.parse(e.data) as Record<string, any> }));
  return { rows, events };
}

// ---- XML surgery with @xmldom/xmldom ----

const parseXml = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');
const serialize = (node: Element) => new XMLSerializer().serializeToString(node);

function childOf(parent: Element, ns: string, localName: string): Element {
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === localName && (node as Element).namespaceURI === ns) return node as Element;
  }
  throw new Error(`no ${localName} in ${parent.localName}`);
}

/** A deep copy without its own enveloped ds:Signature: what the signature's digest covers. */
function unsignedCopy(element: Element): Element {
  const copy = element.cloneNode(true) as Element;
  copy.removeChild(childOf(copy, DSIG, 'Signature'));
  return copy;
}

/** Makes this assertion (only its own Subject and attributes) speak for admin@acme.test. */
function impersonate(assertion: Element): void {
  childOf(childOf(assertion, ASSERTION, 'Subject'), ASSERTION, 'NameID').textContent = ADMIN;
  const attribute = Array.from(childOf(assertion, ASSERTION, 'AttributeStatement').childNodes).find((n) => (n as Element).getAttribute?.('Name') === 'email') as Element;
  childOf(attribute, ASSERTION, 'AttributeValue').textContent = ADMIN;
}

interface Wrapping {
  name: string;
  signed: 'response' | 'assertion';
  how: string;
  wrap(response: Element): void;
}

const theAssertion = (response: Element) => childOf(response, ASSERTION, 'Assertion');

const XSW: Wrapping[] = [
  {
    name: 'XSW1', signed: 'response', how: 'an evil Response (new ID) whose Signature holds an unsigned copy of the original signed Response',
    wrap(response) {
      childOf(response, DSIG, 'Signature').appendChild(unsignedCopy(response));
      response.setAttribute('ID', '_evil_response');
      impersonate(theAssertion(response));
    },
  },
  {
    name: 'XSW2', signed: 'response', how: 'an evil Response (new ID) with an unsigned copy of the original signed Response placed before its Signature (detached)',
    wrap(response) {
      const signature = childOf(response, DSIG, 'Signature');
      response.insertBefore(unsignedCopy(response), signature);
      response.setAttribute('ID', '_evil_response');
      impersonate(theAssertion(response));
    },
  },
  {
    name: 'XSW3', signed: 'assertion', how: 'an evil unsigned assertion (new ID) placed before the untouched signed one',
    wrap(response) {
      const signed = theAssertion(response);
      const evil = unsignedCopy(signed);
      evil.setAttribute('ID', '_evil_assertion');
      impersonate(evil);
      response.insertBefore(evil, signed);
    },
  },
  {
    name: 'XSW4', signed: 'assertion', how: 'an evil assertion (new ID) taking the signed one\'s place, with the signed assertion moved inside it',
    wrap(response) {
      const signed = theAssertion(response);
      const evil = unsignedCopy(signed);
      evil.setAttribute('ID', '_evil_assertion');
      impersonate(evil);
      response.replaceChild(evil, signed);
      evil.appendChild(signed);
    },
  },
  {
    name: 'XSW5', signed: 'assertion', how: 'the signed assertion changed (new ID, stale Signature kept) and an unsigned copy of the original appended after it',
    wrap(response) {
      const signed = theAssertion(response);
      response.appendChild(unsignedCopy(signed));
      signed.setAttribute('ID', '_evil_assertion');
      impersonate(signed);
    },
  },
  {
    name: 'XSW6', signed: 'assertion', how: 'the signed assertion changed (new ID) with an unsigned copy of the original inside its own Signature',
    wrap(response) {
      const signed = theAssertion(response);
      childOf(signed, DSIG, 'Signature').appendChild(unsignedCopy(signed));
      signed.setAttribute('ID', '_evil_assertion');
      impersonate(signed);
    },
  },
  {
    name: 'XSW7', signed: 'assertion', how: 'an evil unsigned copy (same ID) inside a samlp:Extensions element before the untouched signed assertion',
    wrap(response) {
      const signed = theAssertion(response);
      const extensions = response.ownerDocument!.createElementNS(PROTOCOL, 'samlp:Extensions');
      const evil = unsignedCopy(signed);
      impersonate(evil);
      extensions.appendChild(evil);
      response.insertBefore(extensions, childOf(response, PROTOCOL, 'Status'));
    },
  },
  {
    name: 'XSW8', signed: 'assertion', how: 'the signed assertion changed (new ID) with an unsigned copy of the original in a ds:Object inside its Signature',
    wrap(response) {
      const signed = theAssertion(response);
      const object = response.ownerDocument!.createElementNS(DSIG, 'ds:Object');
      object.appendChild(unsignedCopy(signed));
      childOf(signed, DSIG, 'Signature').appendChild(object);
      signed.setAttribute('ID', '_evil_assertion');
      impersonate(signed);
    },
  },
];

/**
 * Whether the document's one ds:Signature verifies on its own (xml-crypto resolves the Reference by ID
 * wherever the element now is): true shows the wrapped document still carries a valid IdP signature,
 * so only Gatehouse's structural rules stand between it and a sign-in.
 */
function signatureVerifies(xml: string): boolean {
  const signatures = parseXml(xml).getElementsByTagNameNS(DSIG, 'Signature');
  expect(signatures.length).toBe(1);
  const verifier = new SignedXml({ publicCert: IDP.certificate });
  verifier.loadSignature(serialize(signatures[0]!));
  try {
    return verifier.checkSignature(xml);
  } catch {
    return false;
  }
}

describe('XML signature wrapping (XSW1–XSW8)', () => {
  let t: TestApp;
  let acme: Conn;

  beforeAll(async () => {
    t = await createTestApp();
    const api: Api = async (_method, path, body) => {
      const res = await t.api.post(`/api/v1${path}`, body);
      return { status: res.status, body: res.body };
    };
    acme = (await createAcme(api, 'https://workplace.test/callback')).conn;
  });
  afterAll(async () => t.close());

  /** A validly signed response for a new person of Acme. */
  async function signedFor(sign: 'response' | 'assertion', overrides: ResponseOverrides = {}) {
    const email = `p${randomBytes(4).toString('hex')}@acme.test`;
    return { email, xml: await samlResponseXml(acme.sp, { email }, { now: t.clock.now(), signing: { sign }, ...overrides }) };
  }

  const post = (xml: string) => t.http.post(new URL(acme.sp.acsUrl).pathname).type('form').send({ SAMLResponse: encodeSamlResponse(xml) });

  it.each(['response', 'assertion'] as const)('accepts the %s-signed baseline, also after an xmldom parse/serialize round trip (the surgery alone breaks nothing)', async (sign) => {
    expect((await post((await signedFor(sign)).xml)).status).toBe(303);
    const roundTripped = serialize(parseXml((await signedFor(sign)).xml).documentElement!);
    expect(signatureVerifies(roundTripped)).toBe(true);
    expect((await post(roundTripped)).status).toBe(303);
  });

  it.each(XSW)('$name: refuses $how, and signs nobody in as admin@acme.test', async ({ signed, wrap, name }) => {
    const original = await signedFor(signed);
    const doc = parseXml(original.xml);
    wrap(doc.documentElement!);
    const attack = serialize(doc.documentElement!);
    expect(attack).toContain(`>${ADMIN}<`);
    // Every variant but XSW7 (two elements share one ID, which xml-crypto refuses) keeps a signature that verifies.
    expect(signatureVerifies(attack)).toBe(name !== 'XSW7');

    const before = await stateOf(t.app);
    const res = await post(attack);
    expect(res.status).toBe(403);
    const after = await stateOf(t.app);
    expect(after.rows).toEqual(before.rows);
    const events = after.events.slice(before.events.length);
    expect(events.map((e) => e.type)).toEqual(['sso.signin_failed']);
    expect(SIGNATURE_REFUSALS).toContain(events[0]!.data.reason);
    for (const secret of [ADMIN, original.email, 'urn:oasis']) expect(res.text).not.toContain(secret);
  });
});

describe('comment injection into the NameID and email (whole sign-in)', () => {
  const VICTIM = 'victim@acme.test';
  const CARRIER = 'victim@acme.test.evil.test';
  let live: LiveApp;
  let acme: Conn;
  let config: oidc.Configuration;
  let victimId: string;

  beforeAll(async () => {
    live = await startLiveApp();
    const setup = await createAcme(live.api, CALLBACK);
    acme = setup.conn;
    config = await oidc.discovery(new URL(live.url), setup.client.client_id, setup.client.client_secret, oidc.ClientSecretBasic(setup.client.client_secret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => live.close());

  /** The app's authorisation request, followed as far as it goes. */
  async function authorize(browser: HttpBrowser): Promise<Page> {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK, scope: 'openid email', state: oidc.randomState(),
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    return browser.follow(url.href, CALLBACK);
  }

  /** The email typed on the sign-in page, and the AuthnRequest Gatehouse sent to the IdP. */
  async function startAs(browser: HttpBrowser, email: string) {
    const toIdp = await browser.submit(await authorize(browser), '/email', { email });
    expect(toIdp.location?.startsWith(IDP.ssoUrl)).toBe(true);
    return readRedirectRequest(toIdp.location!);
  }

  /** A response the IdP signed for CARRIER, then `<!---->` put after "victim@acme.test" in the NameID and the email value. */
  async function injected(inResponseTo?: string): Promise<string> {
    const xml = await samlResponseXml(acme.sp, { email: CARRIER }, { inResponseTo });
    const parts = xml.split(`>${CARRIER}<`);
    expect(parts).toHaveLength(3);
    return parts.join(`>${VICTIM}<!---->.evil.test<`);
  }

  /** Refused at provisioning as email_outside_org_domains; the victim is not signed in, nobody is created. */
  async function expectVictimSafe(run: () => Promise<Page>) {
    const before = await stateOf(live.app);
    const link = await live.app.db.selectFrom('sso_identities').selectAll().where('user_id', '=', victimId).executeTakeFirstOrThrow();
    const page = await run();
    expect(page.status).toBe(403);
    expect(page.location).toBeUndefined();
    const after = await stateOf(live.app);
    expect({ ...after.rows, login_tickets: 0 }).toEqual({ ...before.rows, login_tickets: 0 });
    const events = after.events.slice(before.events.length);
    expect(events.filter((e) => e.type === 'sso.signin_failed').map((e) => [e.data.reason, e.data.email])).toEqual([['email_outside_org_domains', CARRIER]]);
    expect(events.filter((e) => e.type === 'user.signed_in' || e.type === 'user.created')).toEqual([]);
    expect(await live.app.db.selectFrom('sso_identities').selectAll().where('user_id', '=', victimId).executeTakeFirstOrThrow()).toEqual(link);
    expect(page.html).not.toContain(VICTIM);
  }

  it('signs the real victim@acme.test in (seeds the account and its IdP link the attack aims at)', async () => {
    const browser = new HttpBrowser();
    const request = await startAs(browser, VICTIM);
    const xml = await samlResponseXml(acme.sp, { email: VICTIM }, { inResponseTo: request.id });
    const acs = await browser.request('POST', acme.sp.acsUrl, { SAMLResponse: encodeSamlResponse(xml), RelayState: request.relayState });
    expect((await browser.follow(acs.location!, CALLBACK)).location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    victimId = (await live.app.db.selectFrom('users').select('id').where('email', '=', VICTIM).executeTakeFirstOrThrow()).id;
  });

  it('SP-initiated: the signature still verifies, the full text victim@acme.test.evil.test is read, and provisioning refuses it', async () => {
    await expectVictimSafe(async () => {
      const browser = new HttpBrowser();
      const request = await startAs(browser, VICTIM);
      const acs = await browser.request('POST', acme.sp.acsUrl, { SAMLResponse: encodeSamlResponse(await injected(request.id)), RelayState: request.relayState });
      expect(acs.status).toBe(303);
      return browser.follow(acs.location!, CALLBACK);
    });
  });

  it('IdP-initiated: the same response lands at the app, whose sign-in is refused without signing the victim in', async () => {
    await expectVictimSafe(async () => {
      const browser = new HttpBrowser();
      const acs = await browser.request('POST', acme.sp.acsUrl, { SAMLResponse: encodeSamlResponse(await injected()) });
      expect(acs.status).toBe(303);
      expect(acs.location!.startsWith(INITIATE)).toBe(true);
      return authorize(browser);
    });
  });
});
