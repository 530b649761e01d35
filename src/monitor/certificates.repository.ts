import { X509Certificate } from 'node:crypto';
import type { Executor } from '../db/database.ts';

/** An IdP signing certificate of an active SAML connection, with what its alert names. */
export interface IdpCertificate {
  connection_id: string;
  connection_name: string;
  provider: string;
  idp_entity_id: string | null;
  organization_id: string;
  organization_name: string;
  fingerprint_sha256: string;
  subject: string;
  not_after: string;
}

/**
 * Every signing certificate of every active SAML connection. A draft (still being set up) or inactive
 * connection signs nobody in, so its certificates warn nobody.
 */
export async function activeSamlCertificates(db: Executor): Promise<IdpCertificate[]> {
  return db
    .selectFrom('connection_certificates')
    .innerJoin('connections', 'connections.id', 'connection_certificates.connection_id')
    .innerJoin('organizations', 'organizations.id', 'connections.organization_id')
    .select([
      'connections.id as connection_id', 'connections.name as connection_name', 'connections.provider', 'connections.saml_idp_entity_id as idp_entity_id',
      'organizations.id as organization_id', 'organizations.name as organization_name',
      'connection_certificates.fingerprint_sha256', 'connection_certificates.subject', 'connection_certificates.not_after',
    ])
    .where('connections.type', '=', 'saml')
    .where('connections.state', '=', 'active')
    .orderBy('organizations.name')
    .orderBy('connections.id')
    .orderBy('connection_certificates.not_after')
    .execute();
}

/** One of Gatehouse's own SAML SP certificates (signing AuthnRequests, or what IdPs encrypt to). */
export interface SpCertificate {
  sp_key_id: string;
  use: 'signing' | 'encryption';
  fingerprint_sha256: string;
  subject: string;
  not_after: string;
}

/** The SP keys in use; a retired key in its overlap has already been replaced, so it warns nobody. */
export async function currentSpCertificates(db: Executor): Promise<SpCertificate[]> {
  const rows = await db.selectFrom('saml_sp_keys').select(['id', 'use', 'certificate_pem', 'not_after']).where('retired_at', 'is', null).orderBy('use', 'desc').execute();
  return rows.map((row) => {
    const x509 = new X509Certificate(row.certificate_pem);
    return { sp_key_id: row.id, use: row.use, fingerprint_sha256: x509.fingerprint256, subject: x509.subject.split('\n').join(', '), not_after: row.not_after };
  });
}

export interface AlertKey {
  targetId: string;
  fingerprintSha256: string;
  notAfter: string;
  now: Date;
}

/**
 * Records that this threshold's alert is being sent; false when it already was (or was covered). The
 * primary key decides, in the transaction that also queues the mails, so a second check, a restarted
 * server or another replica never sends it again.
 */
export async function claimAlert(db: Executor, key: AlertKey, threshold: string): Promise<boolean> {
  const result = await db
    .insertInto('certificate_alerts')
    .values({ target_id: key.targetId, fingerprint_sha256: key.fingerprintSha256, threshold, status: 'sent', not_after: key.notAfter, created_at: key.now.toISOString() })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Marks less urgent thresholds as covered by the alert just sent: crossed at once, they send nothing. */
export async function coverThresholds(db: Executor, key: AlertKey, thresholds: string[]): Promise<void> {
  if (thresholds.length === 0) return;
  await db
    .insertInto('certificate_alerts')
    .values(thresholds.map((threshold) => ({
      target_id: key.targetId, fingerprint_sha256: key.fingerprintSha256, threshold, status: 'covered' as const, not_after: key.notAfter, created_at: key.now.toISOString(),
    })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}
