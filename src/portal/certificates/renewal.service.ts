import type { Call } from '../../context.ts';
import type { Executor } from '../../db/database.ts';
import type { Connection, ConnectionCertificate } from '../../db/schema.ts';
import { removeCertificate as removeConnectionCertificate } from '../../sso/connection-certificates.ts';
import { recordEvent } from '../../events/activity.ts';
import { notFound } from '../../http/errors.ts';
import { addCertificate, getConnection, listCertificates, listConnections } from '../../sso/connections.service.ts';
import { certificateInfo, type CertificateInfo, MetadataError, parseIdpMetadata } from '../../sso/saml/idp-metadata.ts';

/**
 * The `certificate_renewal` intent's rules (DESIGN.md Certificate monitor): a new IdP signing certificate
 * is trusted alongside the old one, so sign-ins keep working whichever one the IdP signs with; the admin
 * removes the old one once the IdP has switched. A connection never loses its last certificate.
 */

/** The org's active SAML connections: the ones whose certificates sign people in today. */
export async function renewableConnections(db: Executor, organizationId: string): Promise<Connection[]> {
  return (await listConnections(db, organizationId)).filter((c) => c.type === 'saml' && c.state === 'active');
}

/** idor check: a connection id from the URL counts only when it is an active SAML connection of the session's org. */
export async function renewableConnection(db: Executor, organizationId: string, id: string): Promise<Connection> {
  const connection = await getConnection(db, id);
  if (connection.organization_id !== organizationId || connection.type !== 'saml' || connection.state !== 'active') throw notFound('connection', id);
  return connection;
}

/**
 * What the admin gave (a file or a paste) read as certificates to trust: SAML metadata when it is XML
 * (only the entity this connection already trusts), else one certificate (PEM, base64 or DER bytes).
 * Refuses a private key, malformed input, foreign metadata and expired certificates (MetadataError 422).
 */
export function certificatesFromInput(input: { text?: string; bytes?: Buffer }, connection: Connection, now: Date): CertificateInfo[] {
  const bytes = input.bytes;
  // A binary .cer file is the DER itself (an ASN.1 SEQUENCE: 0x30): read it as its base64.
  const text = bytes ? (bytes[0] === 0x30 ? bytes.toString('base64') : bytes.toString('utf8')) : (input.text ?? '');
  if (text.trim() === '') throw new MetadataError('bad_certificate', 'Choose a metadata or certificate file, or paste the metadata XML or the certificate.');
  if (text.replace(/^\uFEFF/, '').trimStart().startsWith('<')) {
    let certificates: CertificateInfo[];
    try {
      certificates = parseIdpMetadata(text, { entityId: connection.saml_idp_entity_id ?? undefined, now }).certificates;
    } catch (err) {
      if (err instanceof MetadataError && err.code === 'entity_not_found') {
        throw new MetadataError('entity_not_found', `This metadata is not from the identity provider this connection trusts (${connection.saml_idp_entity_id}). ${err.message}`);
      }
      throw err;
    }
    const current = certificates.filter((c) => !c.expired);
    if (current.length === 0) throw new MetadataError('bad_certificate', 'Every signing certificate in this metadata has expired: download the metadata again once your identity provider has a new certificate.');
    return current;
  }
  const certificate = certificateInfo(text, now);
  if (certificate.expired) throw new MetadataError('bad_certificate', `This certificate expired on ${certificate.notAfter.slice(0, 10)}: paste the new certificate from your identity provider.`);
  return [certificate];
}

/** Trusts each certificate not yet trusted, alongside the others; how many were new. */
export async function trustCertificates(db: Executor, call: Call, connection: Connection, certificates: CertificateInfo[]): Promise<number> {
  const known = new Set((await listCertificates(db, connection.id)).map((c) => c.fingerprint_sha256));
  let added = 0;
  for (const certificate of certificates) {
    if (known.has(certificate.fingerprintSha256)) continue;
    await addCertificate(db, call, connection.id, certificate);
    known.add(certificate.fingerprintSha256);
    added++;
    await recordEvent(db, call.ctx.clock, {
      type: 'connection.certificate_added', organizationId: connection.organization_id, actor: call.actor,
      data: { connection_id: connection.id, fingerprint_sha256: certificate.fingerprintSha256, not_after: certificate.notAfter },
    });
  }
  return added;
}

/** The certificate with this id, only among the connection's own. */
export async function connectionCertificate(db: Executor, connection: Connection, certificateId: string): Promise<{ certificate: ConnectionCertificate; all: ConnectionCertificate[] }> {
  const all = await listCertificates(db, connection.id);
  const certificate = all.find((c) => c.id === certificateId);
  if (!certificate) throw notFound('certificate', certificateId);
  return { certificate, all };
}

/** Removes an old certificate of this (already org-checked) connection. */
export async function removeCertificate(db: Executor, call: Call, connection: Connection, certificateId: string): Promise<ConnectionCertificate> {
  return removeConnectionCertificate(db, call, connection.id, certificateId);
}
