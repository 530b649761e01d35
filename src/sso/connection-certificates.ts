import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { ConnectionCertificate } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { AppError, notFound } from '../http/errors.ts';
import type { IdpSettings } from './saml/idp-settings.ts';

/** The IdP signing certificates a connection trusts: several at once during a rotation. */

async function organizationOf(db: Executor, connectionId: string): Promise<string> {
  const row = await db.selectFrom('connections').select('organization_id').where('id', '=', connectionId).executeTakeFirst();
  if (!row) throw notFound('connection', connectionId);
  return row.organization_id;
}

export async function listCertificates(db: Executor, connectionId: string): Promise<ConnectionCertificate[]> {
  return db.selectFrom('connection_certificates').selectAll().where('connection_id', '=', connectionId).orderBy('not_after', 'desc').execute();
}

/**
 * Replaces the trusted signing certificates. From metadata: the metadata's certificates replace the
 * previous metadata ones, and certificates added by hand (a renewal) stay until removed by hand. Typed
 * by hand: the list is complete and replaces every certificate.
 */
export async function replaceCertificates(db: Executor, call: Call, connectionId: string, certificates: IdpSettings['certificates'], source: 'metadata' | 'manual'): Promise<{ added: number; removed: number }> {
  const before = await listCertificates(db, connectionId);
  const existing = before.filter((c) => source === 'manual' || c.source === 'metadata');
  const keep = new Set(certificates.map((c) => c.fingerprintSha256));
  const gone = existing.filter((c) => !keep.has(c.fingerprint_sha256));
  if (gone.length > 0) await db.deleteFrom('connection_certificates').where('id', 'in', gone.map((c) => c.id)).execute();
  const now = call.ctx.clock.now().toISOString();
  // Against every certificate, not only this source's: one the admin added by hand that the IdP's metadata
  // now publishes too is already trusted (inserting it again broke the unique key and the refresh).
  const fresh = certificates.filter((c) => !before.some((e) => e.fingerprint_sha256 === c.fingerprintSha256));
  for (const cert of fresh) {
    await db
      .insertInto('connection_certificates')
      .values({ id: newId('cert'), connection_id: connectionId, pem: cert.pem, fingerprint_sha256: cert.fingerprintSha256, subject: cert.subject, not_before: cert.notBefore, not_after: cert.notAfter, source, created_at: now })
      .execute();
  }
  await recordRenewal(db, call, connectionId, before, fresh);
  return { added: fresh.length, removed: gone.length };
}

/**
 * Trusts one more signing certificate alongside the others (an IdP's renewal, DESIGN.md Certificate
 * monitor): it stays until removed by hand, whatever later metadata downloads say.
 */
export async function addCertificate(db: Executor, call: Call, connectionId: string, certificate: IdpSettings['certificates'][number]): Promise<void> {
  const existing = await listCertificates(db, connectionId);
  if (existing.some((c) => c.fingerprint_sha256 === certificate.fingerprintSha256)) return;
  await db
    .insertInto('connection_certificates')
    .values({
      id: newId('cert'), connection_id: connectionId, pem: certificate.pem, fingerprint_sha256: certificate.fingerprintSha256, subject: certificate.subject,
      not_before: certificate.notBefore, not_after: certificate.notAfter, source: 'manual', created_at: call.ctx.clock.now().toISOString(),
    })
    .execute();
  await recordRenewal(db, call, connectionId, existing, [certificate]);
}

/**
 * DESIGN.md Certificate monitor: a certificate that outlives every one the connection had is a renewal
 * (the monitor's alerts then say a newer one is in place). A first certificate renews nothing. The
 * instants are toISOString() output, so they compare as strings.
 */
async function recordRenewal(db: Executor, call: Call, connectionId: string, before: ConnectionCertificate[], added: IdpSettings['certificates']): Promise<void> {
  const latest = before.reduce<string | undefined>((max, c) => (max === undefined || c.not_after > max ? c.not_after : max), undefined);
  if (latest === undefined) return;
  const renewal = added.filter((c) => c.notAfter > latest).sort((a, b) => b.notAfter.localeCompare(a.notAfter))[0];
  if (!renewal) return;
  const organizationId = await organizationOf(db, connectionId);
  await recordEvent(db, call.ctx.clock, {
    type: 'connection.certificate_renewed', organizationId, actor: call.actor,
    data: { connection_id: connectionId, fingerprint_sha256: renewal.fingerprintSha256, not_after: renewal.notAfter },
  });
}

/** Removes one certificate; refused when it is the connection's last one (no signed response could be checked). */
export async function removeCertificate(db: Executor, call: Call, connectionId: string, certificateId: string): Promise<ConnectionCertificate> {
  const all = await listCertificates(db, connectionId);
  const certificate = all.find((c) => c.id === certificateId);
  if (!certificate) throw notFound('certificate', certificateId);
  if (all.length <= 1) {
    throw new AppError(409, 'last_certificate', 'This is the only signing certificate of the connection: sign-ins would stop. Add the new certificate first, then remove this one.');
  }
  await db.deleteFrom('connection_certificates').where('id', '=', certificate.id).where('connection_id', '=', connectionId).execute();
  await recordEvent(db, call.ctx.clock, {
    type: 'connection.certificate_removed', organizationId: await organizationOf(db, connectionId), actor: call.actor,
    data: { connection_id: connectionId, fingerprint_sha256: certificate.fingerprint_sha256, not_after: certificate.not_after },
  });
  return certificate;
}
