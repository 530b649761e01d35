import { X509Certificate } from 'node:crypto';
import { MetadataError } from './metadata.errors.ts';

/**
 * Reads an IdP signing certificate, from the base64 text of an `X509Certificate` in metadata or from what
 * an admin entered by hand, through node:crypto's X509Certificate. Whatever does not read as exactly one
 * X.509 certificate is refused with `bad_certificate`; an expired one is read and marked `expired`.
 */

export interface CertificateInfo {
  /** PEM as re-encoded from the DER, whatever whitespace the source had. */
  pem: string;
  /** SHA-256 of the DER, upper-case hex pairs separated by colons, as `openssl x509 -fingerprint -sha256`. */
  fingerprintSha256: string;
  /** ISO 8601 instants. */
  notBefore: string;
  notAfter: string;
  /** Distinguished names on one line, RDNs joined with ", " (e.g. "C=US, O=Okta, CN=dev-123"). */
  subject: string;
  issuer: string;
  /** True when `now` is past notAfter (RFC 5280 §4.1.2.5: notAfter itself is still valid). */
  expired: boolean;
}

/** Reads a certificate an admin entered by hand: PEM, or the bare base64 of the DER. */
export function certificateInfo(pem: string, now: Date): CertificateInfo {
  if (pem.length > 64 * 1024) throw new MetadataError('bad_certificate', 'This is too long to be one certificate.');
  let text = pem.replace(/^\uFEFF/, '').trim();
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]);
  if (labels.length > 0) {
    if (labels.some((label) => label?.includes('PRIVATE KEY'))) {
      throw new MetadataError(
        'bad_certificate',
        'This is a private key, not a certificate. Do not share it: paste the IdP signing certificate (-----BEGIN CERTIFICATE-----) instead.',
      );
    }
    if (labels.length > 1) throw new MetadataError('bad_certificate', 'Paste one certificate at a time.');
    const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text);
    if (!match && labels[0] === 'CERTIFICATE') {
      throw new MetadataError('bad_certificate', 'The certificate is cut off: its -----END CERTIFICATE----- line is missing. Copy the whole certificate.');
    }
    if (!match) {
      throw new MetadataError(
        'bad_certificate',
        `Expected a certificate (-----BEGIN CERTIFICATE-----), found -----BEGIN ${labels[0]}-----.`,
      );
    }
    text = match[1] ?? '';
  }
  return readCertificate(text, now);
}

/** Reads the base64 of one DER certificate, as it stands in an `X509Certificate` element. */
export function readCertificate(text: string, now: Date): CertificateInfo {
  // Whitespace of any kind may split the base64: newlines, indentation, or single spaces (okta-2018).
  const base64 = text.replace(/\s+/g, '');
  if (base64 === '') throw new MetadataError('bad_certificate', 'The certificate is empty.');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 === 1) {
    throw new MetadataError('bad_certificate', 'The certificate is not valid base64; it may have been altered when copied.');
  }
  const der = Buffer.from(base64, 'base64');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (cause) {
    throw new MetadataError('bad_certificate', 'The certificate could not be read as an X.509 certificate; it may be truncated.', {
      cause,
      detail: cause instanceof Error ? cause.message : String(cause),
    });
  }
  if (x509.raw.length !== der.length) {
    throw new MetadataError('bad_certificate', 'The certificate has extra data after its end; it may be two values pasted together.');
  }
  return {
    pem: x509.toString(),
    fingerprintSha256: x509.fingerprint256,
    notBefore: x509.validFromDate.toISOString(),
    notAfter: x509.validToDate.toISOString(),
    subject: x509.subject.split('\n').join(', '),
    issuer: x509.issuer.split('\n').join(', '),
    expired: now.getTime() > x509.validToDate.getTime(),
  };
}
