import type { Logger } from 'pino';
import type { Call } from '../context.ts';
import type { Db, Executor } from '../db/database.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import { activeSamlCertificates, type AlertKey, claimAlert, coverThresholds, currentSpCertificates, type IdpCertificate, type SpCertificate } from './certificates.repository.ts';
import { type CreatePortalLink, recordSpAlert, sendIdpAlert } from './expiry-alert.ts';
import { releaseLease, takeLease } from './lease.ts';
import { daysUntil, describeExpiry, lessUrgent, reachedThreshold, type Threshold } from './thresholds.ts';

export const LEASE_NAME = 'certificate-monitor';
/** Longer than any check takes; a replica that dies mid-check holds the lease no longer than this. */
const LEASE_TTL_MS = 10 * 60_000;

/** What one check found about one certificate, and what it did. */
export interface CertificateFinding {
  kind: 'idp' | 'sp';
  /** The connection (idp) or Gatehouse SP key (sp). */
  target_id: string;
  /** "Acme / Okta SAML (Okta)" or "Gatehouse SP signing certificate". */
  label: string;
  organization_id: string | null;
  fingerprint_sha256: string;
  subject: string;
  not_after: string;
  /** "in 13 days, on 2027-01-14 10:00 UTC". */
  expiry: string;
  days_until_expiry: number;
  status: 'valid' | 'expiring' | 'expired';
  /** The most urgent threshold reached (90d … 1d, expired, expired+1w …), or null. */
  threshold: string | null;
  /** sent: by this check; already_sent: by an earlier one (or another replica); failed: retried next check. */
  alert: 'sent' | 'already_sent' | 'failed' | null;
  /** The IT contacts mailed by this check. */
  recipients: string[];
  newer_certificate: boolean;
}

export type CheckReport =
  | { ran: true; checked_at: string; certificates: CertificateFinding[]; alerts_sent: number; mails_queued: number }
  /** Another replica (or check) holds the lease: this one did nothing. */
  | { ran: false; checked_at: string; lease_holder: string };

export interface CheckDeps {
  db: Db;
  uow: UnitOfWork;
  call: Call;
  log: Logger;
  /** Who takes the lease: one per monitor (process). */
  holder: string;
  createPortalLink: CreatePortalLink;
}

/**
 * One check (DESIGN.md Certificate monitor): every IdP signing certificate of every active SAML
 * connection, and Gatehouse's own SP certificates. Each alert, its covered thresholds, its mails and its
 * event are one transaction; one certificate's failure is logged and retried by the next check.
 */
export async function runCertificateCheck(deps: CheckDeps): Promise<CheckReport> {
  const { db, log, holder } = deps;
  const now = deps.call.ctx.clock.now();
  const lease = await takeLease(db, { name: LEASE_NAME, holder, now, ttlMs: LEASE_TTL_MS });
  if (!lease.taken) {
    log.info({ holder: lease.holder, until: lease.expiresAt }, 'certificate check skipped: another replica is running one');
    return { ran: false, checked_at: now.toISOString(), lease_holder: lease.holder };
  }
  try {
    const certificates: CertificateFinding[] = [];
    const idp = await activeSamlCertificates(db);
    for (const cert of idp) certificates.push(await checkIdpCertificate(deps, cert, newestOther(idp, cert), now));
    for (const cert of await currentSpCertificates(db)) certificates.push(await checkSpCertificate(deps, cert, now));
    const sent = certificates.filter((c) => c.alert === 'sent');
    return { ran: true, checked_at: now.toISOString(), certificates, alerts_sent: sent.length, mails_queued: sent.reduce((n, c) => n + c.recipients.length, 0) };
  } finally {
    await releaseLease(db, { name: LEASE_NAME, holder });
  }
}

/** The connection's certificate that outlives this one the longest: a renewal already in place. */
function newestOther(all: IdpCertificate[], cert: IdpCertificate): IdpCertificate | undefined {
  return all
    .filter((c) => c.connection_id === cert.connection_id && c.not_after > cert.not_after)
    .sort((a, b) => b.not_after.localeCompare(a.not_after))[0];
}

function finding(kind: 'idp' | 'sp', base: { target_id: string; label: string; organization_id: string | null; fingerprint_sha256: string; subject: string; not_after: string }, threshold: Threshold | undefined, now: Date): CertificateFinding {
  const notAfter = new Date(base.not_after);
  return {
    kind, ...base,
    expiry: describeExpiry(notAfter, now),
    days_until_expiry: daysUntil(notAfter, now),
    status: threshold ? (threshold.expired ? 'expired' : 'expiring') : 'valid',
    threshold: threshold?.key ?? null,
    alert: null,
    recipients: [],
    newer_certificate: false,
  };
}

/**
 * Claims the threshold (false: already sent), marks the less urgent ones covered, then does the alert's
 * work, all in one transaction: the mails exist exactly when the record does.
 */
async function alertOnce(deps: CheckDeps, key: AlertKey, threshold: Threshold, work: (trx: Executor) => Promise<string[]>): Promise<Pick<CertificateFinding, 'alert' | 'recipients'>> {
  try {
    return await deps.uow(async (trx) => {
      if (!(await claimAlert(trx, key, threshold.key))) return { alert: 'already_sent' as const, recipients: [] };
      await coverThresholds(trx, key, lessUrgent(threshold));
      return { alert: 'sent' as const, recipients: await work(trx) };
    });
  } catch (err) {
    deps.log.error({ err, target: key.targetId, fingerprint: key.fingerprintSha256, threshold: threshold.key }, 'certificate alert failed; the next check retries it');
    return { alert: 'failed', recipients: [] };
  }
}

async function checkIdpCertificate(deps: CheckDeps, cert: IdpCertificate, newer: IdpCertificate | undefined, now: Date): Promise<CertificateFinding> {
  const threshold = reachedThreshold(new Date(cert.not_after), now);
  const label = `${cert.organization_name} / ${cert.connection_name}`;
  const result = finding('idp', { target_id: cert.connection_id, label, organization_id: cert.organization_id, fingerprint_sha256: cert.fingerprint_sha256, subject: cert.subject, not_after: cert.not_after }, threshold, now);
  result.newer_certificate = newer !== undefined;
  if (!threshold) return result;
  const key = { targetId: cert.connection_id, fingerprintSha256: cert.fingerprint_sha256, notAfter: cert.not_after, now };
  const outcome = await alertOnce(deps, key, threshold, (trx) => sendIdpAlert(trx, deps.call, deps.createPortalLink, { certificate: cert, threshold, newer, now }));
  if (outcome.alert === 'sent') {
    deps.log.info({ connection: cert.connection_id, fingerprint: cert.fingerprint_sha256, threshold: threshold.key, recipients: outcome.recipients.length }, `certificate alert sent: ${label}, expires ${result.expiry}`);
    if (outcome.recipients.length === 0) deps.log.warn({ organization: cert.organization_id, connection: cert.connection_id }, `${cert.organization_name} has no IT contact: nobody was mailed about its expiring IdP certificate`);
  }
  return { ...result, ...outcome };
}

async function checkSpCertificate(deps: CheckDeps, cert: SpCertificate, now: Date): Promise<CertificateFinding> {
  const threshold = reachedThreshold(new Date(cert.not_after), now);
  const label = `Gatehouse SP ${cert.use} certificate`;
  const result = finding('sp', { target_id: cert.sp_key_id, label, organization_id: null, fingerprint_sha256: cert.fingerprint_sha256, subject: cert.subject, not_after: cert.not_after }, threshold, now);
  if (!threshold) return result;
  const key = { targetId: cert.sp_key_id, fingerprintSha256: cert.fingerprint_sha256, notAfter: cert.not_after, now };
  const outcome = await alertOnce(deps, key, threshold, async (trx) => {
    await recordSpAlert(trx, deps.call, { certificate: cert, threshold, now });
    return [];
  });
  if (outcome.alert === 'sent') {
    // No org IT contact owns Gatehouse's own keys: the operator hears about them in the log.
    deps.log.warn(
      { sp_key_id: cert.sp_key_id, use: cert.use, fingerprint: cert.fingerprint_sha256, not_after: cert.not_after, threshold: threshold.key },
      `${label} ${threshold.expired ? 'expired' : 'expires'} ${result.expiry}: rotate Gatehouse's SAML SP keys (gatehouse saml-keys rotate) before IdPs refuse its requests or cannot encrypt to it`,
    );
  }
  return { ...result, ...outcome };
}
