/**
 * The mail outbox and its sender (src/mail/outbox.ts, src/mail/sender.ts): bodies sealed at rest and
 * dropped once sent, retry with backoff, give-up after MAX_ATTEMPTS, nothing lost without SMTP, and a
 * clean stop. Mail goes to a real SMTP server: test/helpers/smtp-server.ts, and for the tests that must
 * act while a send is in flight, a gated smtp-server instance defined below.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { createApp, type Gatehouse } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { cancelMail, enqueueMail, type OutgoingMail } from '../../src/mail/outbox.ts';
import { CLAIM_MS, MAX_ATTEMPTS } from '../../src/mail/sender.ts';
import { createOrg } from '../helpers/api.ts';
import { rawDatabase } from '../helpers/raw-database.ts';
import { useSmtpApp } from '../helpers/smtp-app.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { createTestApp, TEST_SECRET, type TestApp } from '../helpers/test-app.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LINK = 'http://gatehouse.test/invitations/inv_AAAAAAAAAAAA_secret-part-of-the-link-0123456789abcdefghij';

const mailTo = (to: string, extra: Partial<OutgoingMail> = {}): OutgoingMail => ({
  kind: 'test',
  organizationId: null,
  to,
  subject: `Hello ${to}`,
  text: `Your one-time link:\n${LINK}\n`,
  ...extra,
});

/** Queues mail in its own transaction without waking the sender, so a test decides when it is sent. */
async function enqueue(t: TestApp, mail: OutgoingMail): Promise<string> {
  return t.app.db.transaction().execute((trx) => enqueueMail(trx, t.app.ctx.clock, t.app.ctx.box, mail));
}

const outboxRow = (t: TestApp, id: string) => t.app.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** A second app on the same data directory (the operator restarts with other settings); not started. */
function reopen(t: TestApp, env: Record<string, string>): Gatehouse {
  const config = loadConfig({ GATEHOUSE_DATA_DIR: t.dir, GATEHOUSE_SECRET: TEST_SECRET, PORT: '8080', GATEHOUSE_BASE_URL: 'http://gatehouse.test', ...env });
  return createApp(config, { clock: t.clock, logger: pino({ level: 'silent' }) });
}

describe('mail outbox and sender', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  useSmtpApp((server, testApp) => {
    smtp = server;
    t = testApp;
  });

  it('seals the body at rest, bound to its row, and drops it once the mail is sent', async () => {
    const id = await enqueue(t, mailTo('ada@acme.example'));
    const row = await outboxRow(t, id);
    expect(row).toMatchObject({
      kind: 'test', organization_id: null, to_address: 'ada@acme.example', subject: 'Hello ada@acme.example',
      status: 'pending', attempts: 0, next_attempt_at: '2026-12-01T09:00:00.000Z', last_error: null, sent_at: null, created_at: '2026-12-01T09:00:00.000Z',
    });
    expect(id).toMatch(/^mail_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(row.body_sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(JSON.stringify(row)).not.toContain('secret-part-of-the-link');
    expect(JSON.stringify(row)).not.toContain('one-time link');
    expect(rawDatabase(t.dir)).not.toContain('secret-part-of-the-link');
    // It opens only under its own row's context (AES-GCM associated data): copied to another row it fails.
    expect(JSON.parse(t.app.ctx.box.open(row.body_sealed!, `mail:${id}`))).toEqual({ text: `Your one-time link:\n${LINK}\n` });
    const other = await enqueue(t, mailTo('bob@acme.example'));
    expect(() => t.app.ctx.box.open(row.body_sealed!, `mail:${other}`)).toThrow();

    expect(await t.app.mail.flush()).toEqual({ sent: 2, failed: 0 });
    expect(smtp.received.map((m) => m.to)).toEqual([['ada@acme.example'], ['bob@acme.example']]);
    expect(smtp.received[0]).toMatchObject({ from: 'no-reply@gatehouse.test', subject: 'Hello ada@acme.example' });
    expect(smtp.received[0]!.text).toContain(LINK);
    expect(await outboxRow(t, id)).toMatchObject({ status: 'sent', attempts: 1, body_sealed: null, last_error: null, sent_at: '2026-12-01T09:00:00.000Z' });
    // Sent mail is not sent again.
    t.clock.advance(HOUR);
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
    expect(smtp.received).toHaveLength(2);
  });

  it('two replicas sending from one outbox at the same moment deliver each mail once', async () => {
    const other = reopen(t, { SMTP_URL: smtp.url });
    try {
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => enqueue(t, mailTo(`person${i}@acme.test`))));
      const [a, b] = await Promise.all([t.app.mail.flush(), other.mail.flush()]);
      expect(a.sent + b.sent).toBe(20);
      expect(smtp.received).toHaveLength(20);
      expect(new Set(smtp.received.map((m) => m.to.join(','))).size).toBe(20);
      for (const id of ids) expect((await outboxRow(t, id)).status).toBe('sent');
    } finally {
      await other.stop();
    }
  });

  it('a mail claimed by a sender that died mid-send is sent by another once the claim runs out', async () => {
    const id = await enqueue(t, mailTo('ada@acme.test'));
    // What a sender leaves behind when its process ends between the claim and the send.
    await t.app.db.updateTable('mail_outbox').set({ next_attempt_at: new Date(t.clock.now().getTime() + CLAIM_MS).toISOString() }).where('id', '=', id).execute();
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
    t.clock.advance(CLAIM_MS);
    expect(await t.app.mail.flush()).toEqual({ sent: 1, failed: 0 });
    expect(smtp.received.map((m) => m.to)).toEqual([['ada@acme.test']]);
  });

  it('sends only mail that is due, oldest first, and never cancelled mail', async () => {
    const first = await enqueue(t, mailTo('first@acme.example'));
    const cancelled = await enqueue(t, mailTo('cancelled@acme.example'));
    const later = await enqueue(t, mailTo('later@acme.example'));
    await t.app.db.updateTable('mail_outbox').set({ next_attempt_at: '2026-12-01T10:00:00.000Z' }).where('id', '=', later).execute();
    await cancelMail(t.app.db, cancelled);
    expect(await outboxRow(t, cancelled)).toMatchObject({ status: 'cancelled', body_sealed: null });
    expect(await t.app.mail.flush()).toEqual({ sent: 1, failed: 0 });
    // Cancelling mail that was already sent changes nothing.
    await cancelMail(t.app.db, first);
    expect((await outboxRow(t, first)).status).toBe('sent');

    t.clock.advance(HOUR);
    expect(await t.app.mail.flush()).toEqual({ sent: 1, failed: 0 });
    expect(smtp.received.map((m) => m.to[0])).toEqual(['first@acme.example', 'later@acme.example']);
    expect((await outboxRow(t, cancelled)).status).toBe('cancelled');
  });

  it('retries a refused mail (451) after 1 min, 5 min, 15 min, 1 h, 4 h, then every 12 h, and gives up after MAX_ATTEMPTS', async () => {
    expect(MAX_ATTEMPTS).toBe(10);
    const id = await enqueue(t, mailTo('ada@acme.example'));
    smtp.failNext(MAX_ATTEMPTS);
    const delays = [1 * MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 4 * HOUR, 12 * HOUR, 12 * HOUR, 12 * HOUR, 12 * HOUR];
    for (const [i, delay] of delays.entries()) {
      expect(await t.app.mail.flush(), `attempt ${i + 1}`).toEqual({ sent: 0, failed: 1 });
      const row = await outboxRow(t, id);
      expect(row, `attempt ${i + 1}`).toMatchObject({ status: 'pending', attempts: i + 1, sent_at: null });
      expect(row.last_error, `attempt ${i + 1}`).toMatch(/451/);
      expect(Date.parse(row.next_attempt_at) - t.clock.now().getTime(), `attempt ${i + 1}`).toBe(delay);
      expect(row.body_sealed, 'kept for the retry').toMatch(/^v1\./);
      // Not a millisecond early.
      t.clock.advance(delay - 1);
      expect(await t.app.mail.flush(), `before retry ${i + 1}`).toEqual({ sent: 0, failed: 0 });
      t.clock.advance(1);
    }
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 1 });
    const row = await outboxRow(t, id);
    expect(row).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, sent_at: null });
    expect(row.last_error).toMatch(/451/);

    // Given up: never tried again, even though the server would now accept it.
    t.clock.advance(30 * 24 * HOUR);
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
    expect(smtp.received).toEqual([]);
    expect((await outboxRow(t, id)).attempts).toBe(MAX_ATTEMPTS);
  });

  it('delivers on the first retry that the server accepts, clearing the error', async () => {
    const id = await enqueue(t, mailTo('ada@acme.example'));
    smtp.failNext(2);
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 1 });
    t.clock.advance(MINUTE);
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 1 });
    t.clock.advance(5 * MINUTE);
    expect(await t.app.mail.flush()).toEqual({ sent: 1, failed: 0 });
    expect(await outboxRow(t, id)).toMatchObject({ status: 'sent', attempts: 3, last_error: null, body_sealed: null, sent_at: '2026-12-01T09:06:00.000Z' });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.text).toContain(LINK);
  });
});

describe('mail outbox without a reachable SMTP server', () => {
  // 51 deliveries to the test server take a few seconds: more room than the default 20 s on a busy machine.
  it('keeps mail pending without SMTP_URL, and sends all of it once the operator configures SMTP', { timeout: 60_000 }, async () => {
    const smtp = await startSmtpServer();
    const t = await createTestApp();
    let later: Gatehouse | undefined;
    try {
      const ids: string[] = [];
      // More than one batch (50) waits, as after a long outage: one flush must send them all, the last
      // one queued too (the CLI flushes once after `invite`).
      for (let i = 0; i < 51; i++) ids.push(await enqueue(t, mailTo(`p${String(i).padStart(2, '0')}@acme.example`)));
      await t.app.uow(async () => undefined); // a commit wakes the sender: still nothing to do
      expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
      t.clock.advance(7 * 24 * HOUR);
      expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
      const rows = await t.app.db.selectFrom('mail_outbox').selectAll().orderBy('id').execute();
      expect(rows).toHaveLength(51);
      for (const row of rows) expect(row).toMatchObject({ status: 'pending', attempts: 0, last_error: null, sent_at: null });
      expect(rows.every((r) => r.body_sealed?.startsWith('v1.'))).toBe(true);
      await t.app.stop();

      // Restarted with SMTP_URL (not started: like the CLI, one explicit flush).
      later = reopen(t, { SMTP_URL: smtp.url });
      expect(await later.mail.flush()).toEqual({ sent: 51, failed: 0 });
      expect(smtp.received.map((m) => m.to[0])).toEqual(ids.map((_, i) => `p${String(i).padStart(2, '0')}@acme.example`));
      const sent = await later.db.selectFrom('mail_outbox').select(['status', 'body_sealed']).distinct().execute();
      expect(sent).toEqual([{ status: 'sent', body_sealed: null }]);
    } finally {
      await later?.stop();
      fs.rmSync(t.dir, { recursive: true, force: true });
      await smtp.close();
    }
  });

  it('records a refused connection as a failed attempt and retries it', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const t = await createTestApp({ SMTP_URL: 'smtp://127.0.0.1:1' });
    try {
      const id = await enqueue(t, mailTo('ada@acme.example'));
      expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 1 });
      const row = await outboxRow(t, id);
      expect(row).toMatchObject({ status: 'pending', attempts: 1, next_attempt_at: '2026-12-01T09:01:00.000Z' });
      expect(row.last_error).toMatch(/ECONNREFUSED/);
    } finally {
      await t.close();
    }
  });
});

/**
 * A real SMTP server that holds the first message at the end of DATA until the test answers it, so the
 * test can act while a send is in flight.
 */
async function startGatedSmtpServer() {
  const received: string[][] = [];
  let answer: ((outcome: 'accept' | 'refuse') => void) | undefined;
  let arrived!: () => void;
  const held = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  let holding = true;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        const reply = (outcome: 'accept' | 'refuse') => {
          if (outcome === 'refuse') {
            callback(Object.assign(new Error('451 try again later'), { responseCode: 451 }));
            return;
          }
          received.push(to);
          callback();
        };
        if (!holding) return reply('accept');
        holding = false;
        answer = reply;
        arrived();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** Resolves once the first message is being held. */
    held: () => held,
    release: (outcome: 'accept' | 'refuse') => answer!(outcome),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('mail sender while a send is in flight', () => {
  it('a notice cancelled during a send that then fails stays cancelled and is never retried', async () => {
    const smtp = await startGatedSmtpServer();
    const t = await createTestApp({ SMTP_URL: smtp.url });
    try {
      const org = await createOrg(t, 'Acme');
      // The commit wakes the started sender, which begins sending the notice.
      const contact = (await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'it@acme.example' }).expect(201)).body;
      await smtp.held();
      await t.api.delete(`/api/v1/it_contacts/${contact.id}`).expect(204);
      smtp.release('refuse');
      await t.app.mail.flush();
      const [mail] = await t.app.db.selectFrom('mail_outbox').selectAll().execute();
      expect(mail).toMatchObject({ status: 'cancelled', body_sealed: null });

      t.clock.advance(3 * 24 * HOUR);
      expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
      expect(smtp.received).toEqual([]);
      expect((await t.app.db.selectFrom('mail_outbox').select('status').executeTakeFirstOrThrow()).status).toBe('cancelled');
    } finally {
      await t.close();
      await smtp.close();
    }
  });

  it('stop() waits for the send in flight and starts no other; what is left is sent after a restart', async () => {
    const smtp = await startGatedSmtpServer();
    const t = await createTestApp({ SMTP_URL: smtp.url });
    let later: Gatehouse | undefined;
    try {
      const org = await createOrg(t, 'Acme');
      await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'first@acme.example' }).expect(201);
      await smtp.held();
      // Queued while the first send is in flight: its wake-up asks for another pass.
      await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'second@acme.example' }).expect(201);
      const stopping = t.app.stop();
      smtp.release('accept');
      await stopping;

      // Read the file directly: the app's database is closed. What was delivered is marked sent, the
      // rest is still pending (never "sent but recorded pending", which would mail it twice).
      const sqlite = new SQLite(path.join(t.dir, 'gatehouse.db'), { readonly: true });
      const rows = sqlite.prepare('select to_address, status from mail_outbox order by id').all();
      sqlite.close();
      expect(smtp.received).toEqual([['first@acme.example']]);
      expect(rows).toEqual([
        { to_address: 'first@acme.example', status: 'sent' },
        { to_address: 'second@acme.example', status: 'pending' },
      ]);

      later = reopen(t, { SMTP_URL: smtp.url });
      expect(await later.mail.flush()).toEqual({ sent: 1, failed: 0 });
      expect(smtp.received).toEqual([['first@acme.example'], ['second@acme.example']]);
    } finally {
      await later?.stop();
      fs.rmSync(t.dir, { recursive: true, force: true });
      await smtp.close();
    }
  });
});
