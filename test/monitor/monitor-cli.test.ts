/**
 * `gatehouse monitor run` (issue 7 §5): one check now, what it found and sent, human-readable and
 * `--json`. The CLI runs on the system clock, so the certificates here expire relative to the real now.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/clock.ts';
import { LEASE_NAME } from '../../src/monitor/certificate-check.ts';
import { utcMinute } from '../../src/monitor/thresholds.ts';
import { cli } from '../helpers/cli.ts';
import { fixedClock } from '../helpers/clock.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { TEST_SECRET } from '../helpers/test-app.ts';
import { certificateUntil, openApp, samlConnection, seedOrg } from './monitor-harness.ts';

describe('gatehouse monitor run', () => {
  let smtp: TestSmtpServer;
  let dir: string;
  let env: Record<string, string>;
  let connectionId: string;
  let fingerprint: string;
  let notAfter: Date;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => smtp.close());
  beforeEach(async () => {
    smtp.received.length = 0;
    smtp.failNext(0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-monitor-cli-'));
    env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET: TEST_SECRET, SMTP_URL: smtp.url };
    // Seeded by an app that is not started (no check of its own), on the CLI's data directory.
    const now = Date.now();
    const seed = await openApp(dir, fixedClock(new Date(now).toISOString()), { smtpUrl: smtp.url, started: false });
    const orgId = await seedOrg(seed, 'Acme', [{ email: 'ann@acme.test', name: 'Ann' }]);
    notAfter = new Date(Math.ceil((now + 13 * DAY_MS + 3_600_000) / 60_000) * 60_000);
    const cert = await certificateUntil('cli-13d', notAfter);
    fingerprint = cert.fingerprintSha256;
    connectionId = await samlConnection(seed, orgId, 'okta', [cert]);
    await seed.app.mail.flush(); // the IT contact notice
    await seed.stop();
    smtp.received.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('checks now, sends the alert at once and says so; a second run (--json) finds it already sent', async () => {
    const res = await cli(env, 'monitor', 'run');
    expect(res.code).toBe(0);
    expect(res.out.replace(/check at \S+:/, 'check at T:')).toBe([
      'Certificate check at T: 1 certificate, 1 alert sent, 1 mail queued.',
      '',
      `  Acme / Okta SAML (${connectionId}): CN=cli-13d`,
      `    SHA-256 ${fingerprint}`,
      `    expires in 13 days, on ${utcMinute(notAfter)}: 14-day alert sent to ann@acme.test`,
      '',
      'Mail: 1 sent, 0 failed.',
    ].join('\n'));
    expect(smtp.received.map((m) => m.to)).toEqual([['ann@acme.test']]);
    expect(smtp.received[0]!.text).toContain('http://localhost:8080/portal/gpl_');

    const again = await cli(env, 'monitor', 'run', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toEqual({
      ran: true,
      checked_at: expect.any(String),
      alerts_sent: 0,
      mails_queued: 0,
      certificates: [{
        kind: 'idp', target_id: connectionId, label: 'Acme / Okta SAML', organization_id: expect.stringMatching(/^org_/), fingerprint_sha256: fingerprint,
        subject: 'CN=cli-13d', not_after: notAfter.toISOString(), expiry: `in 13 days, on ${utcMinute(notAfter)}`, days_until_expiry: 13,
        status: 'expiring', threshold: '14d', alert: 'already_sent', recipients: [], newer_certificate: false,
      }],
      mail: { sent: 0, failed: 0, undelivered: [] },
    });
    expect(smtp.received).toHaveLength(1);
  });

  it('shows an alert mail the SMTP server refused, waiting for its retry', async () => {
    smtp.failNext(1);
    const res = await cli(env, 'monitor', 'run');
    expect(res.code).toBe(0);
    expect(res.out).toContain('14-day alert sent to ann@acme.test');
    expect(res.out).toMatch(/\nMail: 0 sent, 1 failed\.\nAlert mails not delivered yet:\n {2}ann@acme\.test "Action needed: the Okta signing certificate for Acme expires in 13 days": pending, next try \S+ after 1 attempt: .*451/);
    // The retry belongs to the outbox; a second check queues nothing new.
    expect(JSON.parse((await cli(env, 'monitor', 'run', '--json')).out)).toMatchObject({ alerts_sent: 0, mail: { undelivered: [{ to: 'ann@acme.test', attempts: 1, status: 'pending' }] } });
  });

  it('does nothing while another replica holds the lease', async () => {
    const seed = await openApp(dir, fixedClock(new Date().toISOString()), { started: false });
    await seed.app.db.insertInto('leases').values({ name: LEASE_NAME, holder: 'replica-b/4242/cafe0001', expires_at: new Date(Date.now() + 5 * 60_000).toISOString() }).execute();
    await seed.stop();
    const res = await cli(env, 'monitor', 'run');
    expect(res).toMatchObject({ code: 0, out: 'Another Gatehouse (replica-b/4242/cafe0001) is checking certificates right now; this check did nothing. Try again in a minute.' });
    expect(JSON.parse((await cli(env, 'monitor', 'run', '--json')).out)).toMatchObject({ ran: false, lease_holder: 'replica-b/4242/cafe0001' });
    expect(smtp.received).toEqual([]);
  });

  it('is listed in the usage', async () => {
    expect((await cli(env, '--help')).out).toContain('monitor run                                    check certificate expiry now; print what was found and sent');
  });
});
