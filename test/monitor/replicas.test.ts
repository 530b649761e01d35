/**
 * Several replicas on one database (issue 7 §4): a check takes the `certificate-monitor` lease first; a
 * check that cannot take it does nothing. Two Gatehouse apps here share one data directory, as two
 * servers share one database; neither is started, so only the checks the tests run happen.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/clock.ts';
import { LEASE_NAME } from '../../src/monitor/certificate-check.ts';
import { fixedClock, type TestClock } from '../helpers/clock.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { alertRows, certificateUntil, type MonitorApp, openApp, samlConnection, seedOrg } from './monitor-harness.ts';

const T0 = Date.parse('2026-12-01T09:00:00.000Z');

describe('certificate monitor on several replicas', () => {
  let smtp: TestSmtpServer;
  let dir: string;
  let clock: TestClock;
  let a: MonitorApp;
  let b: MonitorApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => smtp.close());
  beforeEach(async () => {
    smtp.received.length = 0;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-replicas-'));
    clock = fixedClock(new Date(T0).toISOString());
    a = await openApp(dir, clock, { smtpUrl: smtp.url, started: false });
    b = await openApp(dir, clock, { smtpUrl: smtp.url, started: false });
    const orgId = await seedOrg(a, 'Acme', [{ email: 'ann@acme.test' }, { email: 'bob@acme.test' }]);
    await samlConnection(a, orgId, 'okta', [await certificateUntil('okta-13d', new Date(T0 + 13 * DAY_MS))]);
    await samlConnection(a, orgId, 'entra', [await certificateUntil('entra-expired', new Date(T0 - DAY_MS))]);
    await a.app.mail.flush(); // the IT contact notices
    smtp.received.length = 0;
  });
  afterEach(async () => {
    await a.stop();
    await b.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const deliver = async () => {
    await a.app.mail.flush();
    await b.app.mail.flush();
    return smtp.received.map((m) => `${m.to.join(',')} ${m.subject.slice(0, 40)}`).sort();
  };

  it('two servers checking at the same moment: one takes the lease and sends, the other does nothing', async () => {
    const [ra, rb] = await Promise.all([a.app.certificateMonitor.run(), b.app.certificateMonitor.run()]);
    const ran = [ra, rb].filter((r) => r.ran);
    const skipped = [ra, rb].filter((r) => !r.ran);
    expect(ran).toEqual([expect.objectContaining({ alerts_sent: 2, mails_queued: 4 })]);
    expect(skipped).toEqual([{ ran: false, checked_at: new Date(T0).toISOString(), lease_holder: expect.stringMatching(/\/\d+\/[0-9a-f]{8}$/) }]);
    const mails = await deliver();
    expect(mails).toHaveLength(4);
    expect(new Set(mails).size).toBe(4);
    // The lease is given back after the check: both replicas check again, and find everything sent.
    expect(await a.app.db.selectFrom('leases').selectAll().execute()).toEqual([]);
    for (const replica of [b, a]) expect(await replica.app.certificateMonitor.run()).toMatchObject({ ran: true, alerts_sent: 0 });
    expect(await deliver()).toHaveLength(4);
  });

  it('a check that cannot take the lease does nothing; a lease that ran out (its holder died) is taken over', async () => {
    await a.app.db.insertInto('leases').values({ name: LEASE_NAME, holder: 'replica-b/4242/deadbeef', expires_at: new Date(T0 + 10 * 60_000).toISOString() }).execute();
    expect(await a.app.certificateMonitor.run()).toEqual({ ran: false, checked_at: new Date(T0).toISOString(), lease_holder: 'replica-b/4242/deadbeef' });
    expect(await alertRows(a)).toEqual([]);
    expect(await deliver()).toEqual([]);

    clock.advance(10 * 60_000 - 1); // a millisecond before it expires: still held
    expect(await a.app.certificateMonitor.run()).toMatchObject({ ran: false });
    clock.advance(1);
    expect(await a.app.certificateMonitor.run()).toMatchObject({ ran: true, alerts_sent: 2 });
    expect(await deliver()).toHaveLength(4);
    expect(await a.app.db.selectFrom('leases').selectAll().execute()).toEqual([]);
  });

  it('checks in one process run one after another, so a second never meets the first one\'s lease', async () => {
    const reports = await Promise.all([a.app.certificateMonitor.run(), a.app.certificateMonitor.run(), a.app.certificateMonitor.run()]);
    expect(reports.map((r) => (r.ran ? r.alerts_sent : 'skipped'))).toEqual([2, 0, 0]);
    expect(await deliver()).toHaveLength(4);
  });
});
