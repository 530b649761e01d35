/**
 * The daily IdP metadata refresh (DESIGN.md: "refreshed daily, a failed refresh keeps the last good copy
 * and records an event") against a real IdP stand-in: a node:http server on loopback whose metadata the
 * tests change between runs, with an app in development mode (plain http to loopback allowed). The URL
 * carries `?token=SECRET`, as some IdPs' metadata URLs do: it must never reach a message, event or log.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Call } from '../../../src/context.ts';
import { refreshAllMetadata, scheduleMetadataRefresh } from '../../../src/sso/saml/metadata-refresh.ts';
import { fetchIdpMetadata } from '../../../src/sso/saml/metadata-fetch.ts';
import { addCertificate } from '../../../src/sso/connections.service.ts';
import { certificateInfo } from '../../../src/sso/saml/idp-metadata.ts';
import { allEvents } from '../../helpers/api.ts';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';

const OLD = fs.readFileSync(new URL('../../../fixtures/saml/idp-signing.crt', import.meta.url), 'utf8');
const NEW = fs.readFileSync(new URL('../../../fixtures/saml/idp-rotated.crt', import.meta.url), 'utf8');
// openssl x509 -fingerprint -sha256 of the two fixtures.
const OLD_FP = 'BE:7D:41:20:7A:D3:3E:1C:D6:DB:B6:81:23:57:85:F7:DB:22:1E:E3:57:96:20:EF:B7:00:FC:69:72:85:71:1F';
const NEW_FP = 'E3:CB:B5:6D:5A:55:90:00:41:C7:EA:82:F9:A8:8A:09:82:BE:13:57:03:6A:1B:59:7E:C0:25:ED:44:25:D1:E6';
const ENTITY = 'https://idp.example.test/saml';
const SSO = 'https://idp.example.test/sso';
const START = '2026-12-01T09:00:00.000Z';
const NEXT_DAY = '2026-12-02T09:00:00.000Z';

const base64 = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
function metadata({ entityId = ENTITY, ssoUrl = SSO, certificates = [OLD] }: { entityId?: string; ssoUrl?: string; certificates?: string[] } = {}): string {
  const keys = certificates.map((pem) => `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${base64(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ${keys.join('\n    ')}
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

/** What the IdP stand-in answers at /idp/metadata; every answer closes its connection (no stale keep-alive). */
let answer: { status: number; type: string; body: string };
const serve = (body: string, status = 200, type = 'application/samlmetadata+xml') => void (answer = { status, type, body });
let hits = 0;
let server: http.Server;
let port: number;
let base: string;
const listen = () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
async function down(): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    if (new URL(req.url!, 'http://x').pathname !== '/idp/metadata') return void res.writeHead(404, { connection: 'close' }).end();
    res.writeHead(answer.status, { 'content-type': answer.type, connection: 'close' }).end(answer.body);
  });
  port = 0;
  await listen();
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  if (server.listening) await down();
});

describe('refreshAllMetadata', () => {
  let t: TestApp;
  let org: string;
  let system: Call;
  let url: string;
  beforeEach(async () => {
    serve(metadata());
    hits = 0;
    url = `${base}/idp/metadata?token=SECRET`;
    t = await createTestApp({ GATEHOUSE_MODE: 'development' });
    system = { ctx: t.app.ctx, actor: { type: 'system' } };
    org = (await t.api.post('/api/v1/organizations', { name: 'Acme', sso_entitled: true }).expect(201)).body.id;
  });
  afterEach(async () => {
    if (!server.listening) await listen();
    await t.close();
  });

  const refresh = (fetch?: typeof fetchIdpMetadata) => refreshAllMetadata({ db: t.app.db, uow: t.app.uow, call: system, fetch });
  const connectionFromUrl = async () => (await t.api.post(`/api/v1/organizations/${org}/connections`, { type: 'saml', provider: 'okta', saml: { metadata_url: url } }).expect(201)).body;
  const view = async (id: string) => (await t.api.get(`/api/v1/connections/${id}`).expect(200)).body;
  const fingerprints = (v: { saml: { certificates: Array<{ fingerprint_sha256: string }> } }) => v.saml.certificates.map((c) => c.fingerprint_sha256).sort();

  it('a new certificate in the metadata is trusted alongside the old one, and recorded', async () => {
    const created = await connectionFromUrl();
    expect(fingerprints(created)).toEqual([OLD_FP]);
    serve(metadata({ certificates: [OLD, NEW] }));
    t.clock.set(NEXT_DAY);
    const before = (await allEvents(t)).length;

    expect(await refresh()).toEqual({ refreshed: 1, failed: 0, unchanged: 0 });
    const after = await view(created.id);
    expect(fingerprints(after)).toEqual([OLD_FP, NEW_FP]);
    expect(after.saml.certificates.find((c: { fingerprint_sha256: string }) => c.fingerprint_sha256 === NEW_FP).source).toBe('metadata');
    expect(after).toEqual({
      ...created, updated_at: NEXT_DAY,
      saml: { ...created.saml, metadata_fetched_at: NEXT_DAY, certificates: expect.any(Array) },
    });
    expect(await allEvents(t).then((events) => events.slice(before))).toEqual([{
      type: 'connection.metadata_refreshed', organization_id: org, actor_type: 'system',
      data: { connection_id: created.id, certificates_added: 1, certificates_removed: 0 },
    }]);

    // The IdP finishes its rotation: the old certificate goes from the metadata, and from the trusted set.
    serve(metadata({ certificates: [NEW] }));
    expect(await refresh()).toEqual({ refreshed: 1, failed: 0, unchanged: 0 });
    expect(fingerprints(await view(created.id))).toEqual([NEW_FP]);
    expect((await allEvents(t)).at(-1)!.data).toEqual({ connection_id: created.id, certificates_added: 0, certificates_removed: 1 });
  });

  it('a certificate added by hand (a renewal) stays trusted whatever the metadata says', async () => {
    const created = await connectionFromUrl();
    await t.app.uow((trx) => addCertificate(trx, system, created.id, certificateInfo(NEW, new Date(NEXT_DAY))));
    serve(metadata({ certificates: [OLD] }));
    t.clock.set(NEXT_DAY);
    expect(await refresh()).toEqual({ refreshed: 0, failed: 0, unchanged: 1 });
    expect(fingerprints(await view(created.id))).toEqual([OLD_FP, NEW_FP].sort());
  });

  it('unchanged metadata: only metadata_fetched_at moves, and the activity log stays quiet', async () => {
    const created = await connectionFromUrl();
    t.clock.set(NEXT_DAY);
    const snapshot = await t.snapshot();
    expect(await refresh()).toEqual({ refreshed: 0, failed: 0, unchanged: 1 });
    expect(await view(created.id)).toEqual({ ...created, saml: { ...created.saml, metadata_fetched_at: NEXT_DAY } });
    const now = await t.snapshot();
    expect(now.events).toEqual(snapshot.events);
    expect(now.connection_certificates).toEqual(snapshot.connection_certificates);
  });

  it('a new SSO URL is applied (counted as refreshed) without an activity-log entry', async () => {
    const created = await connectionFromUrl();
    serve(metadata({ ssoUrl: 'https://idp.example.test/sso/v2' }));
    const before = await allEvents(t);
    expect(await refresh()).toEqual({ refreshed: 1, failed: 0, unchanged: 0 });
    expect((await view(created.id)).saml).toMatchObject({ sso_url: 'https://idp.example.test/sso/v2', sso_binding: 'redirect' });
    expect(await allEvents(t)).toEqual(before);
  });

  it.each([
    ['the server is down', 'fetch_failed', down, (b: string) => `Gatehouse could not download the metadata from ${b}/idp/metadata: the server refused the connection.`],
    ['the server answers 404', 'http_status', () => serve('gone', 404, 'text/plain'), (b: string) => `The server at ${b}/idp/metadata answered HTTP 404 (Not Found) instead of the metadata.`],
    ['the server answers garbage', 'not_xml', () => serve('%PDF-1.7 binary garbage', 200, 'application/octet-stream'), () => 'This is not an XML document, so it cannot be SAML metadata.'],
    ['the server answers a sign-in page', 'html_page', () => serve('<!DOCTYPE html><html>Sign in</html>', 200, 'text/html'), (b: string) => `The server at ${b}/idp/metadata answered with a web page (text/html)`],
    ['the chosen entity id is gone', 'entity_not_found', () => serve(metadata({ entityId: 'https://other.example.test' })), () => `The metadata has no entity "${ENTITY}" (it describes "https://other.example.test").`],
    ['every certificate is gone', 'no_signing_certificate', () => serve(metadata({ certificates: [] })), () => `The identity provider "${ENTITY}" publishes no signing certificate`],
  ])('%s (%s): the last good copy is kept, the error stored, a failure event recorded', async (_what, code, breakIdp, message) => {
    const created = await connectionFromUrl();
    await breakIdp();
    t.clock.set(NEXT_DAY);
    const before = (await allEvents(t)).length;

    expect(await refresh()).toEqual({ refreshed: 0, failed: 1, unchanged: 0 });
    const after = await view(created.id);
    const stored = after.saml.metadata_error as string;
    expect(stored.startsWith(message(base))).toBe(true);
    expect(stored).not.toContain('SECRET');
    // Certificates, SSO URL, binding, fetched_at and updated_at: all as they were.
    expect(after).toEqual({ ...created, saml: { ...created.saml, metadata_error: stored } });
    expect(await allEvents(t).then((events) => events.slice(before))).toEqual([{
      type: 'connection.metadata_refresh_failed', organization_id: org, actor_type: 'system',
      data: { connection_id: created.id, reason: code, message: stored },
    }]);

    // The IdP recovers: the error is cleared, the download time moves on.
    if (!server.listening) await listen();
    serve(metadata());
    t.clock.advance(3_600_000);
    expect(await refresh()).toEqual({ refreshed: 0, failed: 0, unchanged: 1 });
    expect(await view(created.id)).toEqual({ ...created, saml: { ...created.saml, metadata_fetched_at: '2026-12-02T10:00:00.000Z' } });
  });

  it('refreshes drafts and active connections alike; settings typed by hand and OIDC connections are not touched', async () => {
    const draft = await connectionFromUrl();
    const active = await connectionFromUrl();
    await t.api.post(`/api/v1/connections/${active.id}/activate`).expect(200);
    const manual = (await t.api.post(`/api/v1/organizations/${org}/connections`, {
      type: 'saml', provider: 'okta', saml: { idp_entity_id: ENTITY, sso_url: SSO, certificates: [OLD] },
    }).expect(201)).body;
    await t.api.post(`/api/v1/organizations/${org}/connections`, { type: 'oidc', provider: 'okta' }).expect(201);
    serve(metadata({ certificates: [OLD, NEW] }));
    hits = 0;

    expect(await refresh()).toEqual({ refreshed: 2, failed: 0, unchanged: 0 });
    expect(hits).toBe(2);
    expect(fingerprints(await view(draft.id))).toEqual([OLD_FP, NEW_FP]);
    expect(fingerprints(await view(active.id))).toEqual([OLD_FP, NEW_FP]);
    expect(await view(manual.id)).toEqual(manual);
  });

  it('a connection changed or deleted while its metadata downloads keeps the admin\'s change', async () => {
    const changed = await connectionFromUrl();
    const deleted = await connectionFromUrl();
    serve(metadata({ certificates: [NEW] }));
    const manual = { idp_entity_id: 'https://manual.example.test', sso_url: SSO, certificates: [OLD] };
    // The admin acts between the download and the write: no transaction was held open meanwhile.
    const racing: typeof fetchIdpMetadata = async (target, options) => {
      const xml = await fetchIdpMetadata(target, options);
      await t.api.patch(`/api/v1/connections/${changed.id}`, { saml: manual }).expect(200);
      await t.api.delete(`/api/v1/connections/${deleted.id}`);
      return xml;
    };
    expect(await refresh(racing)).toEqual({ refreshed: 0, failed: 0, unchanged: 0 });
    const after = await view(changed.id);
    expect(after.saml).toMatchObject({ idp_entity_id: manual.idp_entity_id, metadata_url: null, metadata_error: null });
    expect(fingerprints(after)).toEqual([OLD_FP]);
    expect((await allEvents(t)).filter((e) => e.type.startsWith('connection.metadata_'))).toEqual([]);
  });
});

describe('scheduleMetadataRefresh', () => {
  let t: TestApp;
  let lines: string[];
  beforeEach(async () => {
    serve(metadata());
    t = await createTestApp({ GATEHOUSE_MODE: 'development' });
    const org = (await t.api.post('/api/v1/organizations', { name: 'Acme', sso_entitled: true }).expect(201)).body.id;
    await t.api.post(`/api/v1/organizations/${org}/connections`, { type: 'saml', provider: 'okta', saml: { metadata_url: `${base}/idp/metadata?token=SECRET` } }).expect(201);
    lines = [];
    hits = 0;
  });
  afterEach(async () => t.close());

  const schedule = (intervalMs?: number) => scheduleMetadataRefresh({
    db: t.app.db, uow: t.app.uow, call: { ctx: t.app.ctx, actor: { type: 'system' } }, intervalMs,
    log: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
  });

  it('runs one refresh at a time, and logs counts, never the URL', async () => {
    const job = schedule();
    try {
      serve('not metadata', 200, 'text/plain');
      const [first, second] = [job.run(), job.run()];
      expect(second).toBe(first);
      expect(await first).toEqual({ refreshed: 0, failed: 1, unchanged: 0 });
      expect(hits).toBe(1);
      expect(lines.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ level: 40, refreshed: 0, failed: 1, unchanged: 0 })]);
      expect(lines.join('\n')).not.toMatch(/SECRET|idp\/metadata/);
      // The next run starts afresh once the previous one is over.
      serve(metadata());
      expect(await job.run()).toEqual({ refreshed: 0, failed: 0, unchanged: 1 });
      expect(hits).toBe(2);
    } finally {
      job.stop();
    }
  });

  it('runs on its interval and never after stop()', async () => {
    const job = schedule(100);
    for (let waited = 0; hits < 2 && waited < 5_000; waited += 20) await sleep(20);
    expect(hits).toBeGreaterThanOrEqual(2);
    job.stop();
    await sleep(50); // a run already under way finishes its download
    const seen = hits;
    await sleep(400);
    expect(hits).toBe(seen);
  });
});
