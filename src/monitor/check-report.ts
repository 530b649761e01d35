import type { Executor } from '../db/database.ts';
import type { MailStatus } from '../db/schema.ts';
import type { CertificateFinding, CheckReport } from './certificate-check.ts';
import { ALERT_MAIL_KIND } from './expiry-alert.ts';

/** An alert mail the outbox has not delivered yet: waiting for SMTP, being retried, or given up. */
export interface UndeliveredAlertMail {
  id: string;
  to: string;
  subject: string;
  status: MailStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string;
}

/** Alert mails not delivered (the outbox retries them; `failed` means it gave up): what an operator checks. */
export async function undeliveredAlertMails(db: Executor): Promise<UndeliveredAlertMail[]> {
  const rows = await db
    .selectFrom('mail_outbox')
    .select(['id', 'to_address', 'subject', 'status', 'attempts', 'last_error', 'next_attempt_at'])
    .where('kind', '=', ALERT_MAIL_KIND)
    .where('status', 'in', ['pending', 'failed'])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, to: r.to_address, subject: r.subject, status: r.status, attempts: r.attempts, last_error: r.last_error, next_attempt_at: r.next_attempt_at }));
}

/** "90-day alert", "expiry alert", "2-weeks-expired alert". */
export function thresholdLabel(threshold: string): string {
  if (threshold === 'expired') return 'expiry alert';
  const weeks = /^expired\+(\d+)w$/.exec(threshold);
  if (weeks) return `${weeks[1]}-week${weeks[1] === '1' ? '' : 's'}-expired alert`;
  return `${threshold.replace(/d$/, '')}-day alert`;
}

function outcome(c: CertificateFinding): string {
  if (!c.threshold) return 'valid';
  const label = thresholdLabel(c.threshold);
  switch (c.alert) {
    case 'sent':
      return c.kind === 'sp' ? `${label} logged` : c.recipients.length ? `${label} sent to ${c.recipients.join(', ')}` : `${label} recorded, but the organization has no IT contact`;
    case 'already_sent':
      return `${label} already sent`;
    case 'failed':
      return `${label} FAILED (see the log); the next check retries it`;
    default:
      return label;
  }
}

/** The CLI's human-readable report of one check and the mail sent after it. */
export function formatCheckReport(report: CheckReport, mail: { sent: number; failed: number; undelivered: UndeliveredAlertMail[] }): string {
  if (!report.ran) return `Another Gatehouse (${report.lease_holder}) is checking certificates right now; this check did nothing. Try again in a minute.`;
  const lines = [
    `Certificate check at ${report.checked_at}: ${report.certificates.length} certificate${report.certificates.length === 1 ? '' : 's'}, ` +
      `${report.alerts_sent} alert${report.alerts_sent === 1 ? '' : 's'} sent, ${report.mails_queued} mail${report.mails_queued === 1 ? '' : 's'} queued.`,
    '',
  ];
  for (const c of report.certificates) {
    lines.push(`  ${c.label}${c.kind === 'idp' ? ` (${c.target_id})` : ''}: ${c.subject}`);
    lines.push(`    SHA-256 ${c.fingerprint_sha256}`);
    const newer = c.newer_certificate ? ' (a newer certificate is in place)' : '';
    lines.push(`    ${c.status === 'expired' ? 'expired' : 'expires'} ${c.expiry}${newer}: ${outcome(c)}`);
  }
  if (report.certificates.length === 0) lines.push('  No active SAML connection and no SP certificate to check.');
  lines.push('', `Mail: ${mail.sent} sent, ${mail.failed} failed.`);
  if (mail.undelivered.length > 0) {
    lines.push('Alert mails not delivered yet:');
    for (const m of mail.undelivered) {
      const why = m.last_error ? `after ${m.attempts} attempt${m.attempts === 1 ? '' : 's'}: ${m.last_error}` : 'waiting (is SMTP_URL set?)';
      lines.push(`  ${m.to} "${m.subject}": ${m.status === 'failed' ? 'gave up' : `pending, next try ${m.next_attempt_at}`} ${why}`);
    }
  }
  return lines.join('\n');
}
