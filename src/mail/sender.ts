import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import { createBackgroundWorker } from '../background-worker.ts';
import { claimDue } from '../db/claim.ts';

/** Retry after 1 min, 5 min, 15 min, 1 h, 4 h, then every 12 h; give up after ~3 days (10 tries). */
const BACKOFF_MS = [60_000, 300_000, 900_000, 3_600_000, 14_400_000, 43_200_000];
export const MAX_ATTEMPTS = 10;
const POLL_MS = 30_000;
/** How long a claimed mail is hidden from other replicas' senders while this one sends it. */
export const CLAIM_MS = 5 * 60_000;
const BATCH = 50;

export interface MailSender {
  /** Wake the sender after a commit that queued mail. */
  kick(): void;
  /** Send everything that is due now; resolves when done (tests and the CLI use it). */
  flush(): Promise<{ sent: number; failed: number }>;
  start(): void;
  stop(): Promise<void>;
}

export function createTransport(smtpUrl: string): Transporter {
  const url = new URL(smtpUrl);
  return nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
    secure: url.protocol === 'smtps:',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
}

export function createMailSender(deps: {
  db: Db;
  clock: Clock;
  box: SecretBox;
  log: Logger;
  from: string;
  transport: Transporter | undefined;
}): MailSender {
  const { db, clock, box, log, from, transport } = deps;
  // Set by stop(): a pass in flight starts no new send (what is left stays pending for the next start).
  let stopped = false;
  const loggedUnsent = new Set<string>();

  /** One batch of due mail after the cursor (ids ascending). */
  async function dueBatch(after: string | undefined) {
    let query = db
      .selectFrom('mail_outbox')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', clock.now().toISOString())
      .orderBy('id')
      .limit(BATCH);
    if (after) query = query.where('id', '>', after);
    return query.execute();
  }

  async function sendDue(): Promise<{ sent: number; failed: number }> {
    let sent = 0;
    let failed = 0;
    // Every due mail, batch after batch: flush() promises "everything due now", and the CLI's one flush
    // after `invite` must reach its own mail even when more than one batch was waiting (SMTP was down or
    // unset). The id cursor ends the loop even for mail that stays due (no transport).
    let after: string | undefined;
    for (;;) {
      if (stopped) break;
      const due = await dueBatch(after);
      const counts = await sendBatch(due);
      sent += counts.sent;
      failed += counts.failed;
      if (due.length < BATCH) break;
      after = due[due.length - 1]!.id;
    }
    return { sent, failed };
  }

  async function sendBatch(due: Awaited<ReturnType<typeof dueBatch>>): Promise<{ sent: number; failed: number }> {
    let sent = 0;
    let failed = 0;
    for (const mail of due) {
      // Shutting down: start no new send; what is left stays pending for the next start.
      if (stopped) break;
      if (!transport) {
        // No SMTP_URL: the mail waits in the outbox (sent once SMTP is configured). Body not logged: it may hold a link.
        if (!loggedUnsent.has(mail.id)) {
          loggedUnsent.add(mail.id);
          log.warn({ mailId: mail.id, kind: mail.kind, to: mail.to_address, subject: mail.subject }, 'mail kept in the outbox: SMTP_URL is not set');
        }
        continue;
      }
      // Another replica's sender claimed it first: it sends it.
      if (!(await claimDue(db, 'mail_outbox', mail, new Date(clock.now().getTime() + CLAIM_MS)))) continue;
      try {
        const body = JSON.parse(box.open(mail.body_sealed ?? '', `mail:${mail.id}`)) as { text: string; html?: string };
        await transport.sendMail({ from, to: mail.to_address, subject: mail.subject, text: body.text, html: body.html });
        await db
          .updateTable('mail_outbox')
          .set({ status: 'sent', sent_at: clock.now().toISOString(), attempts: mail.attempts + 1, body_sealed: null, last_error: null })
          .where('id', '=', mail.id)
          .where('status', '=', 'pending')
          .execute();
        log.info({ mailId: mail.id, kind: mail.kind, to: mail.to_address }, 'mail sent');
        sent++;
      } catch (err) {
        const attempts = mail.attempts + 1;
        const giveUp = attempts >= MAX_ATTEMPTS;
        const delay = BACKOFF_MS[Math.min(attempts - 1, BACKOFF_MS.length - 1)]!;
        await db
          .updateTable('mail_outbox')
          .set({
            status: giveUp ? 'failed' : 'pending',
            attempts,
            last_error: (err as Error).message.slice(0, 500),
            next_attempt_at: new Date(clock.now().getTime() + delay).toISOString(),
          })
          .where('id', '=', mail.id)
          // A mail cancelled while it was being sent (its IT contact removed) stays cancelled: without
          // this guard a failed send put it back to pending and retried it.
          .where('status', '=', 'pending')
          .execute();
        log.warn({ mailId: mail.id, kind: mail.kind, attempts, giveUp, error: (err as Error).message }, 'mail send failed');
        failed++;
      }
    }
    return { sent, failed };
  }

  // Only a started sender (the server) wakes itself; the CLI sends with an explicit flush().
  const worker = createBackgroundWorker({ name: 'mail sender', pollMs: POLL_MS, log, pass: sendDue });
  return {
    ...worker,
    async stop() {
      stopped = true;
      await worker.stop();
      transport?.close();
    },
  };
}
