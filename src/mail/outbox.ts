import type { Clock } from '../clock.ts';
import { newId } from '../crypto/ids.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Executor } from '../db/database.ts';

export interface OutgoingMail {
  kind: string;
  organizationId: string | null;
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Mail is written to the outbox in the caller's transaction and sent after commit. The body may hold a
 * one-time link (an invitation), so it is sealed at rest and dropped once the mail is sent.
 */
export async function enqueueMail(db: Executor, clock: Clock, box: SecretBox, mail: OutgoingMail): Promise<string> {
  const id = newId('mail');
  const now = clock.now().toISOString();
  await db
    .insertInto('mail_outbox')
    .values({
      id,
      kind: mail.kind,
      organization_id: mail.organizationId,
      to_address: mail.to,
      subject: mail.subject,
      body_sealed: box.seal(JSON.stringify({ text: mail.text, html: mail.html }), `mail:${id}`),
      status: 'pending',
      next_attempt_at: now,
      created_at: now,
    })
    .execute();
  return id;
}

/** A removed recipient (an IT contact deleted before its notice went out) gets nothing. */
export async function cancelMail(db: Executor, mailId: string): Promise<void> {
  await db.updateTable('mail_outbox').set({ status: 'cancelled', body_sealed: null }).where('id', '=', mailId).where('status', '=', 'pending').execute();
}

/**
 * Cancels every unsent mail of a kind to one address in one org: for senders that keep no mail id (an
 * invitation revoked before its mail went out must not deliver a dead link).
 */
export async function cancelMailTo(db: Executor, match: { kind: string; organizationId: string; to: string }): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ status: 'cancelled', body_sealed: null })
    .where('kind', '=', match.kind)
    .where('organization_id', '=', match.organizationId)
    .where('to_address', '=', match.to)
    .where('status', '=', 'pending')
    .execute();
}
