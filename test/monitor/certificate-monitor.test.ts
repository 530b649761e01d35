/**
 * The certificate monitor end to end (issue 7): active SAML connections whose IdP certificates were
 * generated to expire in 89, 29, 13, 6 days, 12 hours and 2 days ago; the alerts reach a real SMTP
 * server once per certificate, threshold and IT contact, through a second check, a restart on the same
 * data directory, and days passing on the app's clock.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/clock.ts';
import { selfSignedCertificate } from '../../src/crypto/self-signed.ts';
import type { CertificateFinding, CheckReport } from '../../src/monitor/certificate-check.ts';
import { undeliveredAlertMails } from '../../src/monitor/check-report.ts';
import { openPortalLink } from '../../src/portal/portal-links.service.ts';
import { addCertificate, replaceCertificates } from '../../src/sso/connections.service.ts';
import { fixedClock, type TestClock } from '../helpers/clock.ts';
import { type ReceivedMail, startSmtpServer, type TestSmtpServer, textOf } from '../helpers/smtp-server.ts';
import { alertRows, certificateUntil, eventsOfType, type MonitorApp, openApp, samlConnection, seedOrg } from './monitor-harness.ts';

const T0 = Date.parse('2026-12-01T09:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const HOUR = 3_600_000;
const CONTACTS = [{ email: 'ann@acme.test', name: 'Ann Okafor' }, { email: 'bob@acme.test' }];

/** One connection per certificate, so each alert is about one certificate with no newer one beside it. */
const CASES = [
  { provider: 'okta', name: 'Okta', cn: 'okta-89d', notAfter: at(89 * DAY_MS), threshold: '90d', days: 89, expiry: 'in 89 days, on 2027-02-28 09:00 UTC' },
  { provider: 'entra', name: 'Microsoft Entra ID', cn: 'entra-29d', notAfter: at(29 * DAY_MS), threshold: '30d', days: 29, expiry: 'in 29 days, on 2026-12-30 09:00 UTC' },
  { provider: 'google', name: 'Google Workspace', cn: 'google-13d', notAfter: at(13 * DAY_MS), threshold: '14d', days: 13, expiry: 'in 13 days, on 2026-12-14 09:00 UTC' },
  { provider: 'onelogin', name: 'OneLogin', cn: 'onelogin-6d', notAfter: at(6 * DAY_MS), threshold: '7d', days: 6, expiry: 'in 6 days, on 2026-12-07 09:00 UTC' },
  { provider: 'jumpcloud', name: 'JumpCloud', cn: 'jumpcloud-12h', notAfter: at(12 * HOUR), threshold: '1d', days: 0, expiry: 'in 12 hours, on 2026-12-01 21:00 UTC' },
  { provider: 'keycloak', name: 'Keycloak', cn: 'keycloak-expired', notAfter: at(-2 * DAY_MS), threshold: 'expired', days: -2, expiry: '2 days ago, on 2026-11-29 09:00 UTC' },
] as const;
type Case = (typeof CASES)[number];

/** The Subject header unfolded (RFC 5322 §2.2.3: a long subject is folded over several lines). */
const subjectOf = (mail: ReceivedMail) => /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(mail.raw)![1]!.replace(/\r?\n(?=[ \t])/g, '');
const alertMails = (smtp: TestSmtpServer) => smtp.received.filter((m) => !m.subject.startsWith('You are an IT contact'));
/** Alert mails as "recipient | certificate CN | first line", sorted: what arrived, and how often. */
const digest = (mails: ReceivedMail[]) =>
  mails.map((m) => `${m.to.join(',')} | ${/Certificate: +CN=(\S+)/.exec(textOf(m))?.[1]} | ${/single sign-on (expires|expired) [^.]*/.exec(textOf(m))?.[0]}`).sort();
const line = (c: Case) => `single sign-on ${c.threshold === 'expired' ? 'expired' : 'expires'} ${c.expiry}`;
const idpFindings = (report: CheckReport): CertificateFinding[] => (report.ran ? report.certificates.filter((c) => c.kind === 'idp') : []);

describe('certificate monitor', () => {
  let smtp: TestSmtpServer;
  let dir: string;
  let clock: TestClock;
  let h: MonitorApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => smtp.close());
  beforeEach(async () => {
    smtp.received.length = 0;
    smtp.failNext(0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-monitor-'));
    clock = fixedClock(new Date(T0).toISOString());
    h = await openApp(dir, clock, { smtpUrl: smtp.url });
  });
  afterEach(async () => {
    await h.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a check and delivers its mail; returns the report and the alert mails that arrived with it. */
  async function check(app = h): Promise<{ report: CheckReport; mails: ReceivedMail[] }> {
    const before = alertMails(smtp).length;
    const report = await app.app.certificateMonitor.run();
    await app.app.mail.flush();
    return { report, mails: alertMails(smtp).slice(before) };
  }

  it('mails each IT contact once per certificate and threshold: the most urgent one reached, then the next ones as days pass', async () => {
    const orgId = await seedOrg(h, 'Acme', CONTACTS);
    const connections = new Map<string, { id: string; fingerprint: string }>();
    for (const c of CASES) {
      const cert = await certificateUntil(c.cn, c.notAfter);
      connections.set(c.cn, { id: await samlConnection(h, orgId, c.provider, [cert]), fingerprint: cert.fingerprintSha256 });
    }

    const first = await check();
    expect(first.report).toMatchObject({ ran: true, checked_at: '2026-12-01T09:00:00.000Z', alerts_sent: 6, mails_queued: 12 });
    expect(idpFindings(first.report).map((f) => [f.subject, f.threshold, f.alert, f.days_until_expiry, f.expiry, f.recipients])).toEqual(
      CASES.map((c) => [`CN=${c.cn}`, c.threshold, 'sent', c.days, c.expiry, CONTACTS.map((p) => p.email)]),
    );
    // One mail per certificate and contact; a certificate found 6 days out gets the 7-day mail only.
    expect(digest(first.mails)).toEqual(CONTACTS.flatMap((p) => CASES.map((c) => `${p.email} | ${c.cn} | ${line(c)}`)).sort());

    const events = await eventsOfType(h, 'connection.certificate_expiring', 'connection.certificate_expired');
    expect(events).toEqual(CASES.map((c) => {
      const { id, fingerprint } = connections.get(c.cn)!;
      const data = { connection_id: id, fingerprint_sha256: fingerprint, not_after: c.notAfter.toISOString() };
      return c.threshold === 'expired'
        ? { type: 'connection.certificate_expired', organization_id: orgId, actor_type: 'system', data }
        : { type: 'connection.certificate_expiring', organization_id: orgId, actor_type: 'system', data: { ...data, days_until_expiry: c.days, newer_certificate: false } };
    }));
    // The thresholds crossed before the one sent are recorded as covered, so they never send later.
    const onelogin = connections.get('onelogin-6d')!;
    expect((await alertRows(h)).filter((r) => r.target_id === onelogin.id).map((r) => `${r.threshold}:${r.status}`).sort()).toEqual(['14d:covered', '30d:covered', '60d:covered', '7d:sent', '90d:covered']);

    // A second check sends nothing.
    const second = await check();
    expect(second.report).toMatchObject({ ran: true, alerts_sent: 0, mails_queued: 0 });
    expect(idpFindings(second.report).every((f) => f.alert === 'already_sent')).toBe(true);
    expect(second.mails).toEqual([]);

    // Nor does a restarted server on the same data directory: its check at start, then one more.
    await h.stop();
    h = await openApp(dir, clock, { smtpUrl: smtp.url });
    const restarted = await check();
    expect(restarted.report).toMatchObject({ ran: true, alerts_sent: 0 });
    expect(restarted.mails).toEqual([]);

    // A day later the 12-hour certificate has expired: its expiry mail, and nothing else.
    clock.set(at(DAY_MS).toISOString());
    const dayOne = await check();
    expect(digest(dayOne.mails)).toEqual(CONTACTS.map((p) => `${p.email} | jumpcloud-12h | single sign-on expired 12 hours ago, on 2026-12-01 21:00 UTC`));

    // Nine days in: 13-day one at 4 days (7-day mail); 6-day one expired 3 days ago (its 3d and 1d are
    // covered by the expiry mail); 12-hour and 2-day-expired ones a week past expiry (weekly reminder).
    clock.set(at(9 * DAY_MS).toISOString());
    const dayNine = await check();
    expect(idpFindings(dayNine.report).filter((f) => f.alert === 'sent').map((f) => `${f.subject} ${f.threshold}`)).toEqual([
      'CN=google-13d 7d', 'CN=onelogin-6d expired', 'CN=jumpcloud-12h expired+1w', 'CN=keycloak-expired expired+1w',
    ]);
    expect(dayNine.mails).toHaveLength(8);
    expect((await alertRows(h)).filter((r) => r.target_id === onelogin.id && ['3d', '1d', 'expired'].includes(r.threshold)).map((r) => `${r.threshold}:${r.status}`).sort()).toEqual(['1d:covered', '3d:covered', 'expired:sent']);
    expect((await check()).mails).toEqual([]);
  });

  it('says which connection and IdP, the certificate, the exact expiry, what breaks and how to renew, with a renewal link of its own per contact', async () => {
    const orgId = await seedOrg(h, 'Acme', CONTACTS);
    const cert = await certificateUntil('google-13d', at(13 * DAY_MS));
    const connectionId = await samlConnection(h, orgId, 'google', [cert]);
    const { mails } = await check();
    const ann = mails.find((m) => m.to[0] === 'ann@acme.test')!;
    expect(subjectOf(ann)).toBe('Action needed: the Google Workspace signing certificate for Acme expires in 13 days');
    const text = textOf(ann);
    const link = /http:\/\/gatehouse\.test\/portal\/(\S+)/.exec(text)![1]!;
    expect(text).toBe([
      'Hello Ann Okafor,',
      '',
      "The certificate Google Workspace uses to sign Acme's single sign-on expires in 13 days, on 2026-12-14 09:00 UTC.",
      '',
      'From that moment, nobody at Acme can sign in through Google Workspace, unless the',
      'certificate is renewed before then.',
      '',
      'Connection:     Google Workspace SAML (Google Workspace)',
      `IdP entity id:  https://idp.google.test/${orgId}`,
      'Certificate:    CN=google-13d',
      `SHA-256:        ${cert.fingerprintSha256}`,
      'Expires:        2026-12-14T09:00:00.000Z (in 13 days, on 2026-12-14 09:00 UTC)',
      '',
      'To renew it:',
      '1. In Google Workspace, create a new SAML signing certificate for this application. Keep the current',
      '   one active for now.',
      "2. Open this link and add the new certificate (or Google Workspace's updated metadata) to the connection:",
      `   http://gatehouse.test/portal/${link}`,
      '   The link works once, until 2026-12-08 09:00 UTC.',
      '3. Make the new certificate the active one in Google Workspace. Gatehouse trusts both while you switch.',
      '4. Once sign-in works with the new certificate, remove the old one from the connection.',
      '',
      'You receive this because you are an IT contact for Acme.',
      '',
    ].join('\n'));
    // Each contact has a link of their own (a portal link opens once), for this org's certificate renewal.
    const bobLink = /http:\/\/gatehouse\.test\/portal\/(\S+)/.exec(textOf(mails.find((m) => m.to[0] === 'bob@acme.test')!))![1]!;
    expect(bobLink).not.toBe(link);
    const opened = await h.app.uow((trx) => openPortalLink(trx, h.call, link));
    expect(opened).toMatchObject({ ok: true, link: { organization_id: orgId, intent: 'certificate_renewal', expires_at: at(7 * DAY_MS).toISOString() } });
    expect((await eventsOfType(h, 'connection.certificate_expiring'))[0]!.data).toMatchObject({ connection_id: connectionId, days_until_expiry: 13 });
  });

  it('an org whose plan lost SSO (its connection still active) is still warned, without a link the portal would refuse', async () => {
    const orgId = await seedOrg(h, 'Acme', [CONTACTS[0]!]);
    await samlConnection(h, orgId, 'okta', [await certificateUntil('okta-6d', at(6 * DAY_MS))]);
    await h.http.patch(`/api/v1/organizations/${orgId}`).set('Authorization', `Bearer ${h.apiKey}`).send({ sso_entitled: false }).expect(200);
    const { mails } = await check();
    expect(mails).toHaveLength(1);
    expect(textOf(mails[0]!)).toContain('2. Add the new certificate (or Okta\'s updated metadata) to the connection through a\n   certificate renewal link: ask the administrators of the application for one.');
    expect(textOf(mails[0]!)).not.toContain('/portal/');
    expect(await h.app.db.selectFrom('portal_links').selectAll().execute()).toEqual([]);
  });

  it('a draft or inactive connection mails nobody and records nothing', async () => {
    const orgId = await seedOrg(h, 'Acme', CONTACTS);
    const inactive = await samlConnection(h, orgId, 'okta', [await certificateUntil('inactive-6d', at(6 * DAY_MS))]);
    await h.api.post(`/api/v1/connections/${inactive}/deactivate`).expect(200);
    await samlConnection(h, orgId, 'entra', [await certificateUntil('draft-6d', at(6 * DAY_MS))], { activate: false });
    const { report, mails } = await check();
    expect(report).toMatchObject({ ran: true, alerts_sent: 0, mails_queued: 0 });
    expect(idpFindings(report)).toEqual([]);
    expect(mails).toEqual([]);
    expect(await alertRows(h)).toEqual([]);
    expect(await eventsOfType(h, 'connection.certificate_expiring', 'connection.certificate_expired')).toEqual([]);
  });

  it('retries a failed send through the outbox, shows it meanwhile, and never queues the alert twice', async () => {
    const orgId = await seedOrg(h, 'Acme', [CONTACTS[0]!]);
    await samlConnection(h, orgId, 'okta', [await certificateUntil('okta-6d', at(6 * DAY_MS))]);
    await h.app.mail.flush(); // the IT contact notice goes first
    smtp.failNext(1);
    await h.app.certificateMonitor.run();
    expect(await h.app.mail.flush()).toEqual({ sent: 0, failed: 1 });
    expect(await undeliveredAlertMails(h.app.db)).toEqual([expect.objectContaining({ to: 'ann@acme.test', status: 'pending', attempts: 1, last_error: expect.stringContaining('451') })]);
    // Another check meanwhile: the alert is recorded, so nothing new is queued.
    expect(await h.app.certificateMonitor.run()).toMatchObject({ ran: true, alerts_sent: 0 });
    clock.advance(61_000);
    expect(await h.app.mail.flush()).toEqual({ sent: 1, failed: 0 });
    expect(digest(alertMails(smtp))).toEqual(['ann@acme.test | okta-6d | single sign-on expires in 6 days, on 2026-12-07 09:00 UTC']);
    expect(await undeliveredAlertMails(h.app.db)).toEqual([]);
  });

  it('with a newer certificate in place the alert says so; once the old one is removed its alerts stop', async () => {
    const orgId = await seedOrg(h, 'Acme', [CONTACTS[0]!]);
    const old = await certificateUntil('okta-old', at(13 * DAY_MS));
    const connectionId = await samlConnection(h, orgId, 'okta', [old]);
    expect((await check()).mails.map(subjectOf)).toEqual(['Action needed: the Okta signing certificate for Acme expires in 13 days']);

    // The IdP rotated: the new certificate is added by hand beside the old one.
    const fresh = await certificateUntil('okta-new', at(730 * DAY_MS), at(-DAY_MS));
    await h.app.uow((trx) => addCertificate(trx, h.call, connectionId, fresh));
    expect(await eventsOfType(h, 'connection.certificate_renewed')).toEqual([
      { type: 'connection.certificate_renewed', organization_id: orgId, actor_type: 'operator', data: { connection_id: connectionId, fingerprint_sha256: fresh.fingerprintSha256, not_after: fresh.notAfter } },
    ]);

    clock.set(at(7 * DAY_MS).toISOString());
    const { report, mails } = await check();
    expect(idpFindings(report).map((f) => [f.subject, f.threshold, f.alert, f.newer_certificate])).toEqual([['CN=okta-old', '7d', 'sent', true], ['CN=okta-new', null, null, false]]);
    expect(mails.map(subjectOf)).toEqual(['The old Okta signing certificate for Acme expires in 6 days']);
    const text = textOf(mails[0]!);
    expect(text).toContain('A newer certificate is already in place for this connection (CN=okta-new, valid until\n2028-11-30 09:00 UTC).');
    expect(text).toContain('once Okta signs with\nit, remove the old certificate (below) from the connection.');
    expect(text).not.toContain('nobody at Acme can sign in');
    expect((await eventsOfType(h, 'connection.certificate_expiring')).at(-1)!.data).toMatchObject({ fingerprint_sha256: old.fingerprintSha256, days_until_expiry: 6, newer_certificate: true });

    // The old certificate is removed: no 3-day, 1-day or expiry mail for it.
    await h.app.uow((trx) => replaceCertificates(trx, h.call, connectionId, [fresh], 'manual'));
    for (const day of [10, 12.5, 14]) {
      clock.set(at(day * DAY_MS).toISOString());
      expect((await check()).mails).toEqual([]);
    }
  });

  it('records a renewal only when a certificate outlives every one the connection had', async () => {
    const orgId = await seedOrg(h, 'Acme', []);
    const first = await certificateUntil('first', at(100 * DAY_MS));
    const connectionId = await samlConnection(h, orgId, 'okta', [first]);
    // replaceCertificates at creation (the IdP test certificate, then `first`): `first` expires before it.
    expect(await eventsOfType(h, 'connection.certificate_renewed')).toEqual([]);
    await h.app.uow((trx) => addCertificate(trx, h.call, connectionId, first));
    const shorter = await certificateUntil('shorter', at(50 * DAY_MS));
    await h.app.uow((trx) => addCertificate(trx, h.call, connectionId, shorter));
    expect(await eventsOfType(h, 'connection.certificate_renewed')).toEqual([]);

    // Refreshed metadata brings a longer-lived certificate (and lists `first`, trusted by hand already): a renewal.
    const longer = await certificateUntil('longer', at(400 * DAY_MS), at(-DAY_MS));
    await h.app.uow((trx) => replaceCertificates(trx, h.call, connectionId, [first, longer], 'metadata'));
    expect((await eventsOfType(h, 'connection.certificate_renewed')).map((e) => e.data)).toEqual([{ connection_id: connectionId, fingerprint_sha256: longer.fingerprintSha256, not_after: at(400 * DAY_MS).toISOString() }]);
  });

  it("warns the operator about Gatehouse's own SP certificates in the log and an event with no organization, and mails nobody", async () => {
    const key = async (id: string, notAfter: Date, retired: boolean) => {
      const { certificatePem } = await selfSignedCertificate({ commonName: `Gatehouse SAML ${id}`, notBefore: at(-DAY_MS), notAfter });
      await h.app.db.insertInto('saml_sp_keys').values({
        id, use: 'signing', private_key_sealed: 'unused', certificate_pem: certificatePem, not_after: notAfter.toISOString(), created_at: at(-DAY_MS).toISOString(),
        retired_at: retired ? at(-HOUR).toISOString() : null, unpublish_after: retired ? at(29 * DAY_MS).toISOString() : null,
      }).execute();
      return new X509Certificate(certificatePem).fingerprint256;
    };
    const fingerprint = await key('spk_CURRENT', at(13 * DAY_MS), false);
    await key('spk_RETIRED', at(2 * DAY_MS), true); // replaced already: its expiry warns nobody
    const { report, mails } = await check();
    expect(report.ran && report.certificates).toEqual([expect.objectContaining({ kind: 'sp', target_id: 'spk_CURRENT', threshold: '14d', alert: 'sent', recipients: [] })]);
    expect(mails).toEqual([]);
    expect(await eventsOfType(h, 'saml_sp_key.certificate_expiring')).toEqual([{
      type: 'saml_sp_key.certificate_expiring', organization_id: null, actor_type: 'system',
      data: { sp_key_id: 'spk_CURRENT', use: 'signing', fingerprint_sha256: fingerprint, not_after: at(13 * DAY_MS).toISOString(), days_until_expiry: 13 },
    }]);
    const warnings = h.logs.filter((l) => l.level === 40 && l.sp_key_id === 'spk_CURRENT');
    expect(warnings.map((l) => l.msg)).toEqual([
      "Gatehouse SP signing certificate expires in 13 days, on 2026-12-14 09:00 UTC: rotate Gatehouse's SAML SP keys (gatehouse saml-keys rotate) before IdPs refuse its requests or cannot encrypt to it",
    ]);
    await check();
    expect(h.logs.filter((l) => l.level === 40 && l.sp_key_id === 'spk_CURRENT')).toHaveLength(1);
  });
});
