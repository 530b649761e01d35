import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/crypto/self-signed.ts';
import { text } from '../helpers/http-browser.ts';
import { IDP } from '../helpers/saml.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { listen, openPortal, type PortalServer, post, readyOrg, snapshot, supertestSession } from './portal-helpers.ts';

const bare = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
/** IdP metadata for `entityId` publishing these signing certificates. */
const metadata = (entityId: string, ...certificates: string[]) => `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
${certificates.map((c) => `    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${bare(c)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`).join('\n')}
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${IDP.ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;

/**
 * The certificate_renewal intent (/portal/certificates): each active SAML connection's certificates with
 * their expiry; a new one (metadata or PEM, pasted or uploaded) trusted alongside the old; the old one
 * removed behind a confirm step, never the last; anything else refused, changing nothing.
 */
describe('setup wizard: certificate renewal', () => {
  let t: TestApp;
  let server: PortalServer;
  let orgId: string;
  let connectionId: string;
  /** The IdP's current certificate, 20 days from its end on the test clock (2026-12-01). */
  let ending: string;
  let expired: string;

  beforeAll(async () => {
    ending = (await selfSignedCertificate({ commonName: 'Acme IdP 2024', notBefore: new Date('2024-12-21T00:00:00Z'), notAfter: new Date('2026-12-21T00:00:00Z') })).certificatePem;
    expired = (await selfSignedCertificate({ commonName: 'Acme IdP 2023', notBefore: new Date('2023-01-01T00:00:00Z'), notAfter: new Date('2026-11-01T00:00:00Z') })).certificatePem;
  });
  beforeEach(async () => {
    t = await createTestApp();
    server = await listen(t);
    orgId = await readyOrg(t, 'Acme', 'acme.test');
    const created = await t.api.post(`/api/v1/organizations/${orgId}/connections`, {
      type: 'saml', provider: 'okta', name: 'Okta SSO', saml: { idp_entity_id: IDP.entityId, sso_url: IDP.ssoUrl, certificates: [ending] },
    }).expect(201);
    connectionId = created.body.id;
    await t.api.post(`/api/v1/connections/${connectionId}/activate`).expect(200);
  });
  afterEach(async () => {
    await server.close();
    await t.close();
  });

  const certificates = () => t.app.db.selectFrom('connection_certificates').select(['id', 'subject', 'not_after', 'source']).where('connection_id', '=', connectionId).orderBy('not_after').execute();
  const chips = (html: string) => [...html.matchAll(/<li class="cert">[\s\S]*?<span class="chip chip--(\w+)">([^<]+)<\/span>/g)].map((m) => `${m[1]}: ${m[2]}`);

  it('trusts a pasted certificate alongside the old one, then removes the old one behind a confirm step', async () => {
    const { browser, page, linkId } = await openPortal(t, server, orgId, 'certificate_renewal');
    expect(text(page.html)).toContain('Okta SSO Renewal needed');
    expect(chips(page.html)).toEqual(['warning: Expires in 19 days']);

    const added = await post(browser, page, `/portal/certificates/${connectionId}`, { pasted: IDP.rotatedCertificate });
    expect(added.status).toBe(303);
    expect(added.location).toBe(`${server.url}/portal/certificates?added=${connectionId}#${connectionId}`);
    const both = await browser.get(added.location!);
    expect(text(both.html)).toContain('New certificate trusted Sign-ins signed with the old or the new certificate are both accepted.');
    expect(text(both.html)).toContain('Okta SSO Up to date');
    expect(chips(both.html)).toEqual(['success: Valid until 1 Jan 2045', 'warning: Expires in 19 days']);
    expect((await certificates()).map((c) => c.subject)).toEqual(['CN=Acme IdP 2024', 'CN=Gatehouse Test IdP (rotated)']);

    // The same certificate again: nothing new, nothing changed.
    const before = await snapshot(t);
    const again = await post(browser, both, `/portal/certificates/${connectionId}`, { pasted: IDP.rotatedCertificate });
    expect(again.location).toBe(`${server.url}/portal/certificates?unchanged=${connectionId}#${connectionId}`);
    expect(text((await browser.get(again.location!)).html)).toContain('These certificates were already trusted: nothing changed.');
    expect(await snapshot(t)).toEqual(before);

    // Remove the old one: a confirm page, then the removal.
    const old = (await certificates())[0]!;
    const confirm = await browser.get(`${server.url}/portal/certificates/${connectionId}/certificates/${old.id}/remove`);
    expect(confirm.status).toBe(200);
    expect(text(confirm.html)).toContain('Remove this certificate from Okta SSO?');
    expect(text(confirm.html)).toContain('Sign-ins signed with this certificate will be refused from now on.');
    expect(await certificates()).toHaveLength(2);
    const removed = await post(browser, confirm, `/portal/certificates/${connectionId}/certificates/${old.id}/remove`);
    expect(removed.status).toBe(303);
    const after = await browser.get(removed.location!);
    expect(text(after.html)).toContain('Old certificate removed');
    expect(chips(after.html)).toEqual(['success: Valid until 1 Jan 2045']);
    // The last one cannot be removed: no Remove button, and the confirm page says why.
    expect(after.html).not.toContain('/remove"');
    const last = (await certificates())[0]!;
    const lastConfirm = await browser.get(`${server.url}/portal/certificates/${connectionId}/certificates/${last.id}/remove`);
    expect(text(lastConfirm.html)).toContain('This certificate cannot be removed');
    expect(lastConfirm.html).not.toContain('<form');

    const events = await t.app.db.selectFrom('events').select(['type', 'actor_type', 'actor_id']).where('type', 'in', ['connection.certificate_added', 'connection.certificate_removed']).orderBy('id').execute();
    expect(events).toEqual([
      { type: 'connection.certificate_added', actor_type: 'portal', actor_id: linkId },
      { type: 'connection.certificate_removed', actor_type: 'portal', actor_id: linkId },
    ]);
  });

  it('refuses to remove the last certificate even when posted directly, changing nothing', async () => {
    const { browser, page } = await openPortal(t, server, orgId, 'certificate_renewal');
    const only = (await certificates())[0]!;
    const before = await snapshot(t);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.html)![1]!;
    const res = await browser.request('POST', `${server.url}/portal/certificates/${connectionId}/certificates/${only.id}/remove`, { _csrf: csrf });
    expect(res.status).toBe(409);
    expect(text(res.html)).toContain('This is the only signing certificate of the connection: sign-ins would stop. Add the new certificate first, then remove this one.');
    expect(await snapshot(t)).toEqual(before);
  });

  it('reads an uploaded metadata file (multipart) and an uploaded DER certificate', async () => {
    const session = await supertestSession(t, orgId, 'certificate_renewal');
    const { csrf } = await session.page('/portal/certificates');
    const upload = (file: Buffer, name: string) => t.http.post(`/portal/certificates/${connectionId}`).set('Cookie', session.cookie).set('Accept', 'text/html')
      .field('_csrf', csrf).field('pasted', '').attach('upload', file, name);

    const res = await upload(Buffer.from(metadata(IDP.entityId, ending, IDP.rotatedCertificate)), 'FederationMetadata.xml');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/portal/certificates?added=${connectionId}#${connectionId}`);
    expect((await certificates()).map((c) => [c.subject, c.source])).toEqual([['CN=Acme IdP 2024', 'manual'], ['CN=Gatehouse Test IdP (rotated)', 'manual']]);

    const der = Buffer.from(bare(IDP.certificate), 'base64');
    expect((await upload(der, 'idp.cer')).headers.location).toBe(`/portal/certificates?added=${connectionId}#${connectionId}`);
    expect(await certificates()).toHaveLength(3);
  });

  it('refuses malformed or foreign input, a private key and expired certificates, each clearly, changing nothing', async () => {
    const { browser, page } = await openPortal(t, server, orgId, 'certificate_renewal');
    const before = await snapshot(t);
    const cases: Array<[string, string, RegExp | string]> = [
      ['a private key', IDP.rotatedKey, 'This is a private key, not a certificate. Do not share it'],
      ['truncated metadata', metadata(IDP.entityId, IDP.rotatedCertificate).slice(0, 300), 'This is not well-formed XML'],
      ['metadata of another IdP', metadata('https://evil.example/idp', IDP.rotatedCertificate), `This metadata is not from the identity provider this connection trusts (${IDP.entityId}).`],
      ['a DOCTYPE', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>${metadata(IDP.entityId, IDP.rotatedCertificate).replace(/^<\?xml[^>]*>/, '')}`, 'declaration. SAML metadata never needs one, and it can be used to attack the XML reader'],
      ['a truncated certificate', IDP.rotatedCertificate.slice(0, 400), 'The certificate is cut off: its -----END CERTIFICATE----- line is missing. Copy the whole certificate.'],
      ['an HTML page', '<html><body>Sign in</body></html>', 'This XML document is not SAML 2.0 metadata: its root element is &lt;html&gt;'],
      ['not a certificate', 'hello world', 'The certificate could not be read as an X.509 certificate'],
      ['not base64', 'hello, world!', 'The certificate is not valid base64'],
      ['an expired certificate', expired, 'This certificate expired on 2026-11-01: paste the new certificate from your identity provider.'],
      ['metadata with only an expired certificate', metadata(IDP.entityId, expired), 'Every signing certificate in this metadata has expired'],
      ['nothing', '   ', 'Choose a metadata or certificate file, or paste the metadata XML or the certificate.'],
    ];
    for (const [label, pasted, message] of cases) {
      const res = await post(browser, page, `/portal/certificates/${connectionId}`, { pasted });
      expect(res.status, label).toBe(422);
      const shown = text(res.html);
      expect(shown, label).toContain('Not added');
      if (typeof message === 'string') expect(shown, label).toContain(message);
      else expect(shown, label).toMatch(message);
      expect(res.html, label).toContain('aria-invalid="true"');
    }
    expect(await snapshot(t)).toEqual(before);
  });

  it("answers 404 for another org's connection, a draft connection, or a certificate of another connection, changing nothing", async () => {
    const other = await readyOrg(t, 'Globex', 'globex.test');
    const theirs = (await t.api.post(`/api/v1/organizations/${other}/connections`, {
      type: 'saml', provider: 'okta', saml: { idp_entity_id: 'https://idp.globex.test', sso_url: 'https://idp.globex.test/sso', certificates: [IDP.certificate, IDP.rotatedCertificate] },
    }).expect(201)).body.id;
    await t.api.post(`/api/v1/connections/${theirs}/activate`).expect(200);
    const draft = (await t.api.post(`/api/v1/organizations/${orgId}/connections`, {
      type: 'saml', provider: 'okta', saml: { idp_entity_id: 'https://idp2.acme.test', sso_url: 'https://idp2.acme.test/sso', certificates: [IDP.certificate] },
    }).expect(201)).body.id;
    const theirCert = (await t.app.db.selectFrom('connection_certificates').select('id').where('connection_id', '=', theirs).executeTakeFirstOrThrow()).id;
    const { browser, page } = await openPortal(t, server, orgId, 'certificate_renewal');
    expect(page.html).not.toContain(theirs);
    expect(page.html).not.toContain(draft);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.html)![1]!;
    const before = await snapshot(t);
    for (const id of [theirs, draft]) {
      const res = await browser.request('POST', `${server.url}/portal/certificates/${id}`, { _csrf: csrf, pasted: IDP.rotatedCertificate });
      expect(res.status, id).toBe(404);
      expect(text(res.html), id).toContain(`No connection with id ${id}.`);
      expect((await browser.get(`${server.url}/portal/certificates/${id}/certificates/${theirCert}/remove`)).status, id).toBe(404);
      expect((await browser.request('POST', `${server.url}/portal/certificates/${id}/certificates/${theirCert}/remove`, { _csrf: csrf })).status, id).toBe(404);
    }
    // Their certificate through my connection's URL: not mine either.
    const crossed = await browser.request('POST', `${server.url}/portal/certificates/${connectionId}/certificates/${theirCert}/remove`, { _csrf: csrf });
    expect(crossed.status).toBe(404);
    expect(text(crossed.html)).toContain(`No certificate with id ${theirCert}.`);
    expect(await snapshot(t)).toEqual(before);
  });

  it('refuses a forged CSRF token on an upload and on a removal, changing nothing', async () => {
    await t.api.patch(`/api/v1/connections/${connectionId}`, { saml: { idp_entity_id: IDP.entityId, sso_url: IDP.ssoUrl, certificates: [ending, IDP.rotatedCertificate] } }).expect(200);
    const session = await supertestSession(t, orgId, 'certificate_renewal');
    const { csrf } = await session.page('/portal/certificates');
    // The first character carries six whole bits (the last one of 43 only four: flipping it may change nothing).
    const forged = (csrf.startsWith('A') ? 'B' : 'A') + csrf.slice(1);
    const before = await snapshot(t);
    const upload = await t.http.post(`/portal/certificates/${connectionId}`).set('Cookie', session.cookie).set('Accept', 'text/html')
      .field('_csrf', forged).attach('upload', Buffer.from(IDP.certificate), 'idp.pem');
    expect(upload.status).toBe(403);
    expect(upload.text).toContain('This form expired or was not sent from this site.');
    const cert = (await certificates())[0]!;
    const removal = await t.http.post(`/portal/certificates/${connectionId}/certificates/${cert.id}/remove`).set('Cookie', session.cookie).set('Accept', 'text/html').type('form').send({ _csrf: forged });
    expect(removal.status).toBe(403);
    expect(await snapshot(t)).toEqual(before);
  });
});
