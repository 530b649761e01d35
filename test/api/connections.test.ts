/**
 * SSO connections through the management API (DESIGN.md "Management API v1", connections bullet) and the
 * SP metadata each connection publishes. Every file of the real IdP metadata corpus goes through
 * `metadata_xml`; the expectations below were read from the files (and openssl), not from the importer.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allEvents, createOrg, expectProblem, UNKNOWN } from '../helpers/api.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const CORPUS_DIR = new URL('../../../shared/fixtures/idp-metadata/', import.meta.url);
const corpus = (file: string) => fs.readFileSync(new URL(file, CORPUS_DIR), 'utf8');
const IDP_CERT = fs.readFileSync(new URL('../../fixtures/saml/idp-signing.crt', import.meta.url), 'utf8');
const IDP_KEY = fs.readFileSync(new URL('../../fixtures/saml/idp-signing.key', import.meta.url), 'utf8');
/** openssl x509 -fingerprint -sha256 of fixtures/saml/idp-signing.crt. */
const IDP_CERT_FINGERPRINT = 'BE:7D:41:20:7A:D3:3E:1C:D6:DB:B6:81:23:57:85:F7:DB:22:1E:E3:57:96:20:EF:B7:00:FC:69:72:85:71:1F';
/** okta.xml's signing certificate, read with openssl. */
const OKTA = {
  entityId: 'http://www.okta.com/exkdoocxa1VmjpXmX697',
  ssoUrl: 'https://trial-1022863.okta.com/app/trial-1022863_oktalocalhostbis_1/exkdoocxa1VmjpXmX697/sso/saml',
  certificate: {
    fingerprint_sha256: '21:D5:E6:FF:D3:60:7D:88:BD:8E:EE:5F:97:9F:CB:E9:C3:A3:08:BF:E8:E4:42:A4:41:36:AB:60:B9:21:6B:CF',
    subject: 'C=US, ST=California, L=San Francisco, O=Okta, OU=SSOProvider, CN=trial-1022863, emailAddress=info@okta.com',
    not_before: '2024-04-25T20:30:02.000Z',
    not_after: '2034-04-25T20:31:02.000Z',
  },
};
const GOOGLE_FINGERPRINT = '85:EF:56:F2:38:25:54:3D:9F:12:FF:E4:B5:6A:D7:6D:60:70:DC:A8:54:3D:3E:41:36:A4:2F:A2:A9:EA:2A:D7';
const NOW = '2026-12-01T09:00:00.000Z'; // the test clock
const BASE = 'http://gatehouse.test';
const ID = /^conn_[0-9A-HJKMNP-TV-Z]{26}$/;
const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;
const MANUAL = { idp_entity_id: 'https://idp.example.test/entity', sso_url: 'https://idp.example.test/sso', certificates: [IDP_CERT] };

async function ssoOrg(t: TestApp, name = 'Acme'): Promise<string> {
  return (await t.api.post('/api/v1/organizations', { name, sso_entitled: true }).expect(201)).body.id as string;
}

const connectionsOf = (org: string) => `/api/v1/organizations/${org}/connections`;
const connection = (id: string, action = '') => `/api/v1/connections/${id}${action}`;

/** A new SAML connection's view: a draft with Gatehouse's SP URLs for it and the IdP settings given. */
const samlDraft = (id: string, org: string, fields: object, saml: object) => ({
  id, organization_id: org, type: 'saml', state: 'draft', attribute_mapping: {}, idp_initiated: false, idp_initiated_client_id: null, ...fields,
  saml: { sp_entity_id: `${BASE}/sso/saml/${id}`, acs_url: `${BASE}/sso/saml/${id}/acs`, sp_metadata_url: `${BASE}/sso/saml/${id}/metadata`, sso_binding: 'redirect', metadata_url: null, metadata_fetched_at: null, metadata_error: null, ...saml },
  activated_at: null, created_at: NOW, updated_at: NOW,
});

/** Runs a request that must be refused and proves it wrote nothing (one transaction per request). */
async function refusedWithoutWrites<T>(t: TestApp, request: () => PromiseLike<T>): Promise<T> {
  const before = await t.snapshot();
  const res = await request();
  expect(await t.snapshot()).toEqual(before);
  return res;
}

describe('connections API: create', () => {
  let t: TestApp;
  let org: string;
  beforeEach(async () => {
    t = await createTestApp();
    org = await ssoOrg(t);
  });
  afterEach(async () => t.close());

  it('creates a SAML connection from metadata_xml: a draft with the SP URLs and the IdP settings', async () => {
    const res = await t.api.post(connectionsOf(org), { type: 'saml', provider: 'okta', saml: { metadata_xml: corpus('okta.xml') } }).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const id = res.body.id as string;
    expect(id).toMatch(ID);
    expect(res.body).toEqual(samlDraft(id, org, { provider: 'okta', name: 'Okta SAML' }, {
      idp_entity_id: OKTA.entityId, sso_url: OKTA.ssoUrl,
      // Not pinned: pasted metadata is labelled 'manual' today (applySamlSettings keys it on metadataUrl).
      certificates: [{ ...OKTA.certificate, source: 'metadata' }],
    }));
    expect((await t.api.get(connection(id)).expect(200)).body).toEqual(res.body);
    expect((await allEvents(t)).at(-1)).toEqual({ type: 'connection.created', organization_id: org, actor_type: 'api_key', data: { connection_id: id, type: 'saml', provider: 'okta' } });
  });

  it('creates a SAML connection from settings typed by hand', async () => {
    const fields = { provider: 'generic-saml', name: 'Staff IdP', attribute_mapping: { email: 'mail' }, idp_initiated: true };
    const res = await t.api.post(connectionsOf(org), { type: 'saml', ...fields, saml: MANUAL }).expect(201);
    expect(res.body).toEqual(samlDraft(res.body.id, org, fields, {
      idp_entity_id: MANUAL.idp_entity_id, sso_url: MANUAL.sso_url,
      certificates: [{ fingerprint_sha256: IDP_CERT_FINGERPRINT, subject: 'CN=Gatehouse Test IdP', not_before: '2025-01-01T00:00:00.000Z', not_after: '2045-01-01T00:00:00.000Z', source: 'manual' }],
    }));
  });

  it('creates an OIDC connection as a draft with its redirect URI (settings can follow)', async () => {
    const res = await t.api.post(connectionsOf(org), { type: 'oidc', provider: 'generic-oidc' }).expect(201);
    const id = res.body.id as string;
    expect(res.body).toEqual({
      id, organization_id: org, type: 'oidc', provider: 'generic-oidc', name: 'OpenID Connect OIDC', state: 'draft',
      attribute_mapping: {}, idp_initiated: false, idp_initiated_client_id: null,
      // Containing: the OIDC settings are growing (trust_emails …) as OIDC sign-in lands.
      oidc: expect.objectContaining({ issuer: null, client_id: null, redirect_uri: `${BASE}/sso/oidc/${id}/callback`, scopes: ['openid', 'email', 'profile'] }),
      activated_at: null, created_at: NOW, updated_at: NOW,
    });
  });
});

describe('connections API in development mode: metadata_url from a real http server on loopback', () => {
  let server: http.Server;
  let base: string;
  let t: TestApp;
  let org: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname;
      if (path === '/okta.xml') return void res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(corpus('okta.xml'));
      if (path === '/login') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html>Sign in</html>');
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(async () => {
    t = await createTestApp({ GATEHOUSE_MODE: 'development' });
    org = await ssoOrg(t);
  });
  afterEach(async () => t.close());

  it('downloads the metadata, keeps the URL and when it was fetched', async () => {
    const url = `${base}/okta.xml?token=SECRET`;
    const res = await t.api.post(connectionsOf(org), { type: 'saml', provider: 'okta', saml: { metadata_url: url } }).expect(201);
    expect(res.body).toEqual(samlDraft(res.body.id, org, { provider: 'okta', name: 'Okta SAML' }, {
      idp_entity_id: OKTA.entityId, sso_url: OKTA.ssoUrl, metadata_url: url, metadata_fetched_at: NOW, certificates: [{ ...OKTA.certificate, source: 'metadata' }],
    }));
  });

  it.each([
    ['/missing', 'http_status'],
    ['/login', 'html_page'],
  ])('refuses %s (%s) and writes nothing; the message never repeats the query string', async (path, code) => {
    const res = await refusedWithoutWrites(t, () => t.api.post(connectionsOf(org), { type: 'saml', provider: 'okta', saml: { metadata_url: `${base}${path}?token=SECRET` } }));
    expectProblem(res, 422, code);
    expect(res.body.detail).toContain(`${base}${path}`);
    expect(JSON.stringify(res.body)).not.toContain('SECRET');
  });

  it('imports keycloak.xml (its SSO URL is http://localhost, refused in production mode)', async () => {
    const res = await t.api.post(connectionsOf(org), { type: 'saml', provider: 'keycloak', saml: { metadata_xml: corpus('keycloak.xml') } }).expect(201);
    expect(res.body.saml).toMatchObject({ idp_entity_id: 'http://localhost:8085/realms/master', sso_url: 'http://localhost:8085/realms/master/protocol/saml', sso_binding: 'redirect' });
    expect(res.body.saml.certificates.map((c: { not_after: string }) => c.not_after)).toEqual(['2034-05-20T20:48:49.000Z']);
  });
});

/** What a file imports as (the API lists certificates latest not_after first), or how it is refused. */
type Expected = { idp_entity_id: string; sso_url: string; sso_binding: 'redirect' | 'post'; not_after: string[] } | { code: string; detail: string };
const imports = (idp_entity_id: string, sso_url: string, sso_binding: 'redirect' | 'post', ...not_after: string[]): Expected => ({ idp_entity_id, sso_url, sso_binding, not_after });
const refused = (code: string, detail: string): Expected => ({ code, detail });

const HTTP_SSO = 'The IdP single sign-on URL must use https (it is http).';
const SEVERAL = 'identity providers (a federation aggregate). Choose yours by its entity ID, for example';
const RCTSAAI = ['https://si-saai.ualg.pt/idp/shibboleth', 'https://idp.fccn.pt/idp/shibboleth'];
// The first five of the 32 SAML 2.0 IdPs, in document order.
const SWITCHAAI = ['https://testidp.unifr.ch/idp/shibboleth', 'https://testidp.chuv.ch/idp/shibboleth', 'https://slpc1.epfl.ch/SAML2IdP', 'https://test-idp.unine.ch/idp/shibboleth', 'https://tlogin.usi.ch/idp/shibboleth'];
const quoted = (ids: string[]) => ids.map((id) => `"${id}"`).join(', ');

const CORPUS: Array<{ file: string; entity_id?: string; expected: Expected }> = [
  { file: 'adfs-2012r2.xml', expected: imports('http://www.example.com/adfs/services/trust', 'https://www.example.com/adfs/ls/', 'redirect', '2017-10-21T14:50:04.000Z') },
  { file: 'aggregate-rctsaai-signed.xml', expected: refused('several_idps', `This metadata describes 2 ${SEVERAL} ${quoted(RCTSAAI)}.`) },
  { file: 'aggregate-rctsaai-signed.xml', entity_id: RCTSAAI[1], expected: imports(RCTSAAI[1]!, 'https://idp.fccn.pt/idp/profile/SAML2/Redirect/SSO', 'redirect', '2031-12-15T15:39:11.000Z') },
  { file: 'aggregate-rctsaai-signed.xml', entity_id: 'https://webtut.fccn.pt', expected: refused('no_idp', 'The entity "https://webtut.fccn.pt" describes no identity provider (no IDPSSODescriptor): it is a service provider’s metadata. Use your identity provider’s metadata instead.') },
  { file: 'aggregate-switchaai-test-signed.xml', expected: refused('several_idps', `This metadata describes 32 ${SEVERAL} ${quoted(SWITCHAAI)} and 27 more.`) },
  { file: 'aggregate-switchaai-test-signed.xml', entity_id: 'https://aai-logon.test.vho-switchaai.ch/idp/shibboleth', expected: imports('https://aai-logon.test.vho-switchaai.ch/idp/shibboleth', 'https://aai-logon.test.vho-switchaai.ch/idp/profile/SAML2/Redirect/SSO', 'redirect', '2029-03-10T15:13:41.000Z') },
  { file: 'auth0.xml', expected: imports('urn:dev-tyj7qyzz.auth0.com', 'https://dev-tyj7qyzz.auth0.com/samlp/AX3jRN4ECnojiEepVjvM7yVCEcpVX6w6', 'redirect', '2032-12-03T13:21:44.000Z') },
  // Expired 15 days before the test clock: imported anyway, for the monitor and the admin to act on.
  { file: 'entra-id.xml', expected: imports('https://sts.windows.net/a9054a0f-2011-4e31-b3ac-fd8c354146ec/', 'https://login.microsoftonline.com/a9054a0f-2011-4e31-b3ac-fd8c354146ec/saml2', 'redirect', '2026-11-16T20:41:29.000Z') },
  { file: 'google-workspace.xml', expected: imports('https://accounts.google.com/o/saml2?idpid=C029op2ga', 'https://accounts.google.com/o/saml2/idp?idpid=C029op2ga', 'redirect', '2028-07-19T17:28:34.000Z') },
  { file: 'jumpcloud.xml', expected: imports('IdP Entity ID', 'https://sso.jumpcloud.com/saml2/ucariontest', 'post', '2028-11-18T16:28:09.000Z') },
  // http://localhost: refused in production mode (imported in development mode above).
  { file: 'keycloak.xml', expected: refused('no_sso_url', HTTP_SSO) },
  { file: 'okta-2018.xml', expected: imports('http://www.okta.com/exkppsa1qwuFV4D7z0h7', 'https://dev-513394.oktapreview.com/app/rstudioincdev513394_dev_1/exkppsa1qwuFV4D7z0h7/sso/saml', 'redirect', '2028-09-07T14:33:59.000Z') },
  { file: 'okta.xml', expected: imports(OKTA.entityId, OKTA.ssoUrl, 'redirect', OKTA.certificate.not_after) },
  { file: 'onelogin.xml', expected: imports('https://app.onelogin.com/saml/metadata/383123', 'https://app.onelogin.com/trust/saml2/http-post/sso/383123', 'redirect', '2018-06-05T17:16:20.000Z') },
  { file: 'pingone.xml', expected: imports('https://auth.pingone.com/3030059e-440b-4ad0-9217-44326f1757f6', 'https://auth.pingone.com/3030059e-440b-4ad0-9217-44326f1757f6/saml20/idp/sso', 'redirect', '2024-11-17T16:17:59.000Z') },
  { file: 'pysaml2-idp-ns0-prefixes.xml', expected: imports('https://localhost:8088/idp.xml', 'https://localhost:8088/sso/redirect', 'redirect', '2010-10-26T13:31:15.000Z') },
  // The expired old key and the new one: both trusted during the rotation.
  { file: 'samlify-rollingcert-md-namespace-keyinfo.xml', expected: imports('https://idp.example.com/metadata', 'https://idp.example.org/sso/SingleSignOnService', 'redirect', '2030-05-08T15:26:23.000Z', '2018-07-04T18:02:27.000Z') },
  { file: 'secureworks-post-only.xml', expected: imports('https://idp.secureworks.com/SAML2', 'https://idp.secureworks.com/SAML2/SSO/POST', 'post', '2018-05-11T11:12:37.000Z') },
  { file: 'shibboleth-samltest-id.xml', expected: imports('https://samltest.id/saml/idp', 'https://samltest.id/idp/profile/SAML2/Redirect/SSO', 'redirect', '2038-08-24T21:14:10.000Z', '2038-08-24T21:14:09.000Z') },
  // One IdP and one SP: the IdP is the only choice, no entity_id needed.
  { file: 'shibboleth-testshib-providers.xml', expected: imports('https://idp.testshib.org/idp/shibboleth', 'https://idp.testshib.org/idp/profile/SAML2/Redirect/SSO', 'redirect', '2036-08-23T21:20:54.000Z') },
  // http://192.168.99.100: not loopback, refused in either mode.
  { file: 'simplesamlphp.xml', expected: refused('no_sso_url', HTTP_SSO) },
];

describe('connections API: the real-world metadata corpus through metadata_xml', () => {
  let t: TestApp;
  let org: string;
  beforeEach(async () => {
    t = await createTestApp();
    org = await ssoOrg(t);
  });
  afterEach(async () => t.close());

  it('has an expectation for every file of the corpus', () => {
    const files = fs.readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.xml')).sort();
    expect([...new Set(CORPUS.map((c) => c.file))].sort()).toEqual(files);
  });

  it.each(CORPUS.map((c) => ({ ...c, title: `${c.file}${c.entity_id ? ` choosing ${c.entity_id}` : ''} -> ${'code' in c.expected ? c.expected.code : 'imported'}` })))('$title', async ({ file, entity_id, expected }) => {
    const body = { type: 'saml', provider: 'generic-saml', saml: { metadata_xml: corpus(file), ...(entity_id ? { entity_id } : {}) } };
    if ('code' in expected) {
      const res = await refusedWithoutWrites(t, () => t.api.post(connectionsOf(org), body));
      expectProblem(res, 422, expected.code, expected.detail);
      return;
    }
    const res = await t.api.post(connectionsOf(org), body).expect(201);
    const { idp_entity_id, sso_url, sso_binding, certificates } = res.body.saml;
    expect({ idp_entity_id, sso_url, sso_binding }).toEqual({ idp_entity_id: expected.idp_entity_id, sso_url: expected.sso_url, sso_binding: expected.sso_binding });
    expect(certificates).toHaveLength(expected.not_after.length);
    expect(certificates.map((c: { not_after: string }) => c.not_after)).toEqual(expected.not_after);
    for (const c of certificates) expect(c.fingerprint_sha256).toMatch(FINGERPRINT);
  });
});

describe('connections API: refusals write nothing', () => {
  let t: TestApp;
  let org: string;
  beforeEach(async () => {
    t = await createTestApp();
    org = await ssoOrg(t);
  });
  afterEach(async () => t.close());

  const create = (orgId: string, body: object) => refusedWithoutWrites(t, () => t.api.post(connectionsOf(orgId), body));

  it('an org without sso_entitled: 409 sso_not_entitled', async () => {
    const plain = await createOrg(t, 'Globex');
    expectProblem(await create(plain, { type: 'saml', provider: 'okta', saml: MANUAL }), 409, 'sso_not_entitled', 'Globex is not entitled to single sign-on: set sso_entitled on the organization first.');
  });

  it('an unknown organization: 404', async () => {
    expectProblem(await create(UNKNOWN.org, { type: 'saml', provider: 'okta', saml: MANUAL }), 404, 'not_found', `No organization with id ${UNKNOWN.org}.`);
  });

  it('an unknown provider: 422 on the provider field', async () => {
    const res = await create(org, { type: 'saml', provider: 'okta-classic', saml: MANUAL });
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'provider', message: expect.stringContaining('provider must be one of okta, entra,') })]);
  });

  it.each([
    ['adfs', 'oidc', 'AD FS connections use saml, not oidc.'],
    ['jumpcloud', 'oidc', 'JumpCloud connections use saml, not oidc.'],
    ['generic-oidc', 'saml', 'OpenID Connect connections use oidc, not saml.'],
  ])('provider %s with type %s: 422 protocol_not_supported', async (provider, type, message) => {
    const res = await create(org, { type, provider });
    expectProblem(res, 422, 'validation_failed', message);
    expect(res.body.errors).toEqual([{ field: 'provider', code: 'protocol_not_supported', message }]);
  });

  it.each([
    ['an HTML page', 'doctype_refused', '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Okta</body></html>', 'This is a web page (<!DOCTYPE html>), not SAML metadata. Download the metadata XML from your identity provider.'],
    ['HTML without a DOCTYPE', 'not_saml_metadata', '<html><body>Sign in</body></html>', 'This XML document is not SAML 2.0 metadata: its root element is <html> with no namespace, not <EntityDescriptor> or <EntitiesDescriptor> in namespace urn:oasis:names:tc:SAML:2.0:metadata.'],
    ['JSON (an OIDC discovery document)', 'not_xml', '{"issuer":"https://login.example.test"}', 'This is not an XML document, so it cannot be SAML metadata. It looks like JSON (an OpenID Connect discovery document?).'],
    ['metadata with a DOCTYPE (XXE)', 'doctype_refused', `<?xml version="1.0"?><!DOCTYPE md [<!ENTITY x SYSTEM "file:///etc/passwd">]>${corpus('okta.xml').replace(/^<\?xml[^>]*>/, '')}`,
      'The document contains a <!DOCTYPE> declaration. SAML metadata never needs one, and it can be used to attack the XML reader (entity expansion, external entities), so it is refused.'],
  ])('metadata that is %s: 422 %s', async (_what, code, metadata_xml, detail) => {
    expectProblem(await create(org, { type: 'saml', provider: 'okta', saml: { metadata_xml } }), 422, code, detail);
  });

  it('a manual "certificate" that is a private key: 422 bad_certificate, and the key is not echoed', async () => {
    const res = await create(org, { type: 'saml', provider: 'okta', saml: { ...MANUAL, certificates: [IDP_KEY] } });
    expectProblem(res, 422, 'bad_certificate', 'This is a private key, not a certificate. Do not share it: paste the IdP signing certificate (-----BEGIN CERTIFICATE-----) instead.');
    expect(JSON.stringify(res.body)).not.toContain(IDP_KEY.split('\n')[1]);
  });

  it('a plain-http metadata URL in production mode: 422 bad_url, before downloading anything', async () => {
    const res = await create(org, { type: 'saml', provider: 'okta', saml: { metadata_url: 'http://127.0.0.1:9/okta.xml' } });
    expectProblem(res, 422, 'bad_url', 'The metadata URL is not https (it starts with http:). Use its https:// address (http is accepted only for localhost in development mode).');
  });

  it('an http SSO URL in production mode: 422 no_sso_url', async () => {
    expectProblem(await create(org, { type: 'saml', provider: 'okta', saml: { ...MANUAL, sso_url: 'http://idp.example.test/sso' } }), 422, 'no_sso_url', HTTP_SSO);
  });

  it('an entity_id absent from the metadata: 422 entity_not_found', async () => {
    const res = await create(org, { type: 'saml', provider: 'okta', saml: { metadata_xml: corpus('okta.xml'), entity_id: 'https://other.example.test' } });
    expectProblem(res, 422, 'entity_not_found', `The metadata has no entity "https://other.example.test" (it describes "${OKTA.entityId}").`);
  });

  const SHAPES = 'saml must be {metadata_xml}, {metadata_url} or {idp_entity_id, sso_url, certificates}.';
  it.each([
    ['two ways at once', { metadata_xml: corpus('okta.xml'), idp_entity_id: 'x' }, 'Unknown field: idp_entity_id.'],
    ['manual without certificates', { idp_entity_id: 'x', sso_url: 'https://idp.example.test/sso' }, SHAPES],
    ['a string', 'https://idp.example.test/metadata', SHAPES],
    ['an empty object', {}, SHAPES],
  ])('saml settings of the wrong shape (%s): 422 validation_failed on saml', async (_what, saml, message) => {
    const res = await create(org, { type: 'saml', provider: 'okta', saml });
    expectProblem(res, 422, 'validation_failed', message);
    expect(res.body.errors).toEqual([{ field: 'saml', code: expect.any(String), message }]);
  });
});

describe('connections API: change, activate, deactivate, delete, list', () => {
  let t: TestApp;
  let org: string;
  beforeEach(async () => {
    t = await createTestApp();
    org = await ssoOrg(t);
  });
  afterEach(async () => t.close());

  const createSaml = async (saml?: object) => (await t.api.post(connectionsOf(org), { type: 'saml', provider: 'okta', ...(saml ? { saml } : {}) }).expect(201)).body;

  it('PATCH renames and sets the attribute mapping; other fields stay', async () => {
    const created = await createSaml(MANUAL);
    t.clock.advance(1000);
    const res = await t.api.patch(connection(created.id), { name: 'Okta (staff)', attribute_mapping: { email: 'mail', groups: 'memberOf' } }).expect(200);
    expect(res.body).toEqual({ ...created, name: 'Okta (staff)', attribute_mapping: { email: 'mail', groups: 'memberOf' }, updated_at: '2026-12-01T09:00:01.000Z' });
    expect((await allEvents(t)).at(-1)).toMatchObject({ type: 'connection.updated', organization_id: org, data: { connection_id: created.id, fields: ['name', 'attribute_mapping'] } });
  });

  it('PATCH with new metadata replaces the IdP settings and every certificate', async () => {
    const created = await createSaml({ metadata_xml: corpus('okta.xml') });
    const res = await t.api.patch(connection(created.id), { saml: { metadata_xml: corpus('google-workspace.xml') } }).expect(200);
    expect(res.body.saml).toMatchObject({
      idp_entity_id: 'https://accounts.google.com/o/saml2?idpid=C029op2ga', sso_url: 'https://accounts.google.com/o/saml2/idp?idpid=C029op2ga', sso_binding: 'redirect',
    });
    expect(res.body.saml.certificates.map((c: { fingerprint_sha256: string }) => c.fingerprint_sha256)).toEqual([GOOGLE_FINGERPRINT]);
    expect((await allEvents(t)).at(-1)).toMatchObject({ type: 'connection.updated', data: { connection_id: created.id, fields: ['saml'] } });
  });

  it('PATCH with bad metadata is refused and keeps the old settings', async () => {
    const created = await createSaml({ metadata_xml: corpus('okta.xml') });
    const res = await refusedWithoutWrites(t, () => t.api.patch(connection(created.id), { saml: { metadata_xml: '{"issuer":"x"}' } }));
    expectProblem(res, 422, 'not_xml');
    expect((await t.api.get(connection(created.id)).expect(200)).body).toEqual(created);
  });

  it('activate: refused for a draft without settings, then active once the settings are complete', async () => {
    const draft = await createSaml();
    const refused = await refusedWithoutWrites(t, () => t.api.post(connection(draft.id, '/activate')));
    expectProblem(refused, 422, 'connection_incomplete', 'The connection cannot be activated without the IdP entity id, the IdP single sign-on URL, an IdP signing certificate.');

    await t.api.patch(connection(draft.id), { saml: MANUAL }).expect(200);
    t.clock.advance(60_000);
    const active = await t.api.post(connection(draft.id, '/activate')).expect(200);
    expect(active.body).toMatchObject({ state: 'active', activated_at: '2026-12-01T09:01:00.000Z', updated_at: '2026-12-01T09:01:00.000Z' });
    // Again: already active, nothing changes and nothing more is recorded.
    const count = (await allEvents(t)).length;
    expect((await t.api.post(connection(draft.id, '/activate')).expect(200)).body).toEqual(active.body);
    expect(await allEvents(t)).toHaveLength(count);
  });

  it('activate: an OIDC draft without settings is refused with what it lacks', async () => {
    // OIDC sign-in landed (commit 3f91bca) while this was written: no longer type_not_supported.
    const oidc = (await t.api.post(connectionsOf(org), { type: 'oidc', provider: 'okta' }).expect(201)).body;
    const res = await refusedWithoutWrites(t, () => t.api.post(connection(oidc.id, '/activate')));
    expectProblem(res, 422, 'connection_incomplete', 'The connection cannot be activated without the issuer, the client id, the client secret.');
  });

  it('deactivate, delete (then 404), list, and the events of the whole life', async () => {
    const a = await createSaml(MANUAL);
    const b = await createSaml({ metadata_xml: corpus('okta.xml') });
    await t.api.post(connection(a.id, '/activate')).expect(200);
    expect((await t.api.post(connection(a.id, '/deactivate')).expect(200)).body).toMatchObject({ state: 'inactive' });

    const list = await t.api.get(connectionsOf(org)).expect(200);
    expect(list.body.list_metadata).toEqual({ after: null });
    expect(list.body.data.map((c: { id: string; state: string }) => [c.id, c.state])).toEqual([[a.id, 'inactive'], [b.id, 'draft']].sort());

    await t.api.delete(connection(a.id)).expect(204);
    expectProblem(await t.api.get(connection(a.id)), 404, 'not_found', `No connection with id ${a.id}.`);
    expectProblem(await t.api.delete(connection(a.id)), 404, 'not_found');
    expect((await t.api.get(connectionsOf(org)).expect(200)).body.data.map((c: { id: string }) => c.id)).toEqual([b.id]);
    expect(await t.app.db.selectFrom('connection_certificates').select('connection_id').where('connection_id', '=', a.id).execute()).toEqual([]);

    const events = (await allEvents(t)).filter((e) => e.type.startsWith('connection.'));
    expect(events.map((e) => [e.type, e.data.connection_id])).toEqual([
      ['connection.created', a.id], ['connection.created', b.id], ['connection.activated', a.id], ['connection.deactivated', a.id], ['connection.deleted', a.id],
    ]);
    expect(events.at(-1)).toEqual({ type: 'connection.deleted', organization_id: org, actor_type: 'api_key', data: { connection_id: a.id, type: 'saml' } });
    expect(events.every((e) => e.organization_id === org)).toBe(true);
  });

  it('unknown connection ids answer 404 on every route', async () => {
    const id = 'conn_01M8T247H71E8T82MXYZ8V2G2J';
    for (const res of [
      await t.api.get(connection(id)), await t.api.patch(connection(id), { name: 'x' }), await t.api.delete(connection(id)),
      await t.api.post(connection(id, '/activate')), await t.api.post(connection(id, '/deactivate')),
    ]) expectProblem(res, 404, 'not_found', `No connection with id ${id}.`);
    expectProblem(await t.api.get(connectionsOf(UNKNOWN.org)), 404, 'not_found');
  });
});

describe('SP metadata: GET /sso/saml/:id/metadata', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.close());

  const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
  const DS = 'http://www.w3.org/2000/09/xmldsig#';

  it('is well-formed XML with the entity id, ACS, signed AuthnRequests and signing + encryption certificates', async () => {
    const org = await ssoOrg(t);
    const created = (await t.api.post(connectionsOf(org), { type: 'saml', provider: 'okta' }).expect(201)).body;
    const res = await t.http.get(`/sso/saml/${created.id}/metadata`).expect(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    const problems: string[] = [];
    const doc = new DOMParser({ onError: (level, message) => void problems.push(`${level}: ${message}`) }).parseFromString(res.text, 'application/xml');
    expect(problems).toEqual([]);
    const root = doc.documentElement!;
    expect([root.namespaceURI, root.localName, root.getAttribute('entityID')]).toEqual([MD, 'EntityDescriptor', created.saml.sp_entity_id]);
    const descriptor = root.getElementsByTagNameNS(MD, 'SPSSODescriptor')[0]!;
    expect(descriptor.getAttribute('AuthnRequestsSigned')).toBe('true');
    const acs = Array.from(descriptor.getElementsByTagNameNS(MD, 'AssertionConsumerService'));
    expect(acs.map((e) => [e.getAttribute('Binding'), e.getAttribute('Location')])).toEqual([['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', created.saml.acs_url]]);

    const keys = Array.from(descriptor.getElementsByTagNameNS(MD, 'KeyDescriptor')).map((kd) => {
      const text = kd.getElementsByTagNameNS(DS, 'X509Certificate')[0]!.textContent!;
      return { use: kd.getAttribute('use'), certificate: new X509Certificate(Buffer.from(text, 'base64')) };
    });
    expect(keys.map((k) => k.use)).toEqual(['signing', 'encryption']);
    expect(keys[0]!.certificate.subject).toBe('CN=Gatehouse SAML signing');
    expect(keys[1]!.certificate.subject).toBe('CN=Gatehouse SAML encryption');
    expect(keys[0]!.certificate.fingerprint256).not.toBe(keys[1]!.certificate.fingerprint256);
  });

  it('404 for an unknown id and for an OIDC connection', async () => {
    expectProblem(await t.http.get('/sso/saml/conn_01M8T247H71E8T82MXYZ8V2G2J/metadata'), 404, 'not_found', 'There is no SAML connection at this address.');
    const org = await ssoOrg(t);
    const oidc = (await t.api.post(connectionsOf(org), { type: 'oidc', provider: 'okta' }).expect(201)).body;
    expectProblem(await t.http.get(`/sso/saml/${oidc.id}/metadata`), 404, 'not_found');
  });
});
