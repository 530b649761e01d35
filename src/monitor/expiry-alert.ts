import type { Call } from '../context.ts';
import { DAY_MS } from '../clock.ts';
import type { Executor } from '../db/database.ts';
import { recordEvent } from '../events/activity.ts';
import { AppError } from '../http/errors.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { listItContacts } from '../orgs/it-contacts.service.ts';
import { findProvider } from '../sso/providers.ts';
import type { IdpCertificate, SpCertificate } from './certificates.repository.ts';
import { daysUntil, describeExpiry, relativeTime, type Threshold, utcMinute } from './thresholds.ts';

export const ALERT_MAIL_KIND = 'certificate_expiry';
/** A renewal link is mailed, so it gets longer than PORTAL_LINK_TTL: the IT contact may read it days later. */
export const RENEWAL_LINK_TTL_MS = 7 * DAY_MS;

/**
 * Makes a `certificate_renewal` portal link: portal/portal-links.service.ts `createPortalLink`, passed in
 * by app.ts because the portal (layer 7) sits above the monitor (layer 6).
 */
export type CreatePortalLink = (
  db: Executor,
  call: Call,
  input: { organizationId: string; intent: 'certificate_renewal'; ttlMs: number },
) => Promise<{ row: { expires_at: string }; link: string }>;

/**
 * Mails each IT contact of the org (each with a renewal link of their own: a portal link opens once) and
 * records the event, in the caller's transaction, which also holds the alert's record. Returns who was
 * mailed.
 */
export async function sendIdpAlert(
  trx: Executor,
  call: Call,
  createPortalLink: CreatePortalLink,
  alert: { certificate: IdpCertificate; threshold: Threshold; newer: IdpCertificate | undefined; now: Date },
): Promise<string[]> {
  const { certificate: cert, threshold, newer, now } = alert;
  const { ctx } = call;
  const provider = findProvider(cert.provider)?.name ?? cert.provider;
  const notAfter = new Date(cert.not_after);
  const expiry = describeExpiry(notAfter, now);
  const subject = threshold.expired
    ? `Action needed: the ${provider} signing certificate for ${cert.organization_name} has expired`
    : `${newer ? 'The old' : 'Action needed: the'} ${provider} signing certificate for ${cert.organization_name} expires ${relativeTime(notAfter, now)}`;
  // idor check: only this org's contacts, for this org's connection.
  const contacts = await listItContacts(trx, cert.organization_id);
  for (const contact of contacts) {
    const link = await renewalLink(trx, call, createPortalLink, cert.organization_id);
    const body = ctx.templates.render('certificate-expiry', {
      name: contact.name,
      organization: cert.organization_name,
      provider,
      connection_name: cert.connection_name,
      idp_entity_id: cert.idp_entity_id ?? '(not set)',
      subject: cert.subject,
      fingerprint: cert.fingerprint_sha256,
      not_after: cert.not_after,
      expiry,
      expired: threshold.expired,
      newer: newer ? { subject: newer.subject, not_after: utcMinute(new Date(newer.not_after)) } : null,
      link: link?.link ?? null,
      link_expires: link ? utcMinute(new Date(link.row.expires_at)) : null,
    });
    await enqueueMail(trx, ctx.clock, ctx.box, { kind: ALERT_MAIL_KIND, organizationId: cert.organization_id, to: contact.email, subject, ...body });
  }
  const common = { connection_id: cert.connection_id, fingerprint_sha256: cert.fingerprint_sha256, not_after: cert.not_after };
  if (threshold.expired) {
    await recordEvent(trx, ctx.clock, { type: 'connection.certificate_expired', organizationId: cert.organization_id, actor: call.actor, data: common });
  } else {
    await recordEvent(trx, ctx.clock, {
      type: 'connection.certificate_expiring',
      organizationId: cert.organization_id,
      actor: call.actor,
      data: { ...common, days_until_expiry: daysUntil(notAfter, now), newer_certificate: newer !== undefined },
    });
  }
  return contacts.map((c) => c.email);
}

/** An org that lost its SSO plan gets no link (createPortalLink refuses before writing anything). */
async function renewalLink(trx: Executor, call: Call, createPortalLink: CreatePortalLink, organizationId: string) {
  try {
    return await createPortalLink(trx, call, { organizationId, intent: 'certificate_renewal', ttlMs: RENEWAL_LINK_TTL_MS });
  } catch (error) {
    if (error instanceof AppError && error.code === 'sso_not_entitled') return undefined;
    throw error;
  }
}

/** Gatehouse's own SP certificate: there is no org to mail, only the event (organization_id null). */
export async function recordSpAlert(trx: Executor, call: Call, alert: { certificate: SpCertificate; threshold: Threshold; now: Date }): Promise<void> {
  const { certificate: cert, threshold, now } = alert;
  const common = { sp_key_id: cert.sp_key_id, use: cert.use, fingerprint_sha256: cert.fingerprint_sha256, not_after: cert.not_after };
  if (threshold.expired) {
    await recordEvent(trx, call.ctx.clock, { type: 'saml_sp_key.certificate_expired', organizationId: null, actor: call.actor, data: common });
  } else {
    await recordEvent(trx, call.ctx.clock, {
      type: 'saml_sp_key.certificate_expiring',
      organizationId: null,
      actor: call.actor,
      data: { ...common, days_until_expiry: daysUntil(new Date(cert.not_after), now) },
    });
  }
}
