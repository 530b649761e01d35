import { X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { forbiddenMarkup } from './xml-safety.ts';
import { readAssertionFacts, type AssertionFacts } from './assertion-facts.ts';

/**
 * Checks a SAML Response's XML: markup refused before any parser sees it, the signature (node-saml:
 * enveloped, one reference, the referenced element is the signature's parent, a trusted certificate),
 * and exactly one assertion. It returns plain values read from the verified assertion only; the
 * caller checks them against the connection, the clock and the stores (DESIGN.md Security rules).
 * It runs in a worker thread: ~7 ms of blocking CPU per response.
 */

export interface ValidationInput {
  /** The SAMLResponse form value: base64 of the Response XML. */
  samlResponse: string;
  /** PEM certificates the connection trusts. */
  idpCertificates: string[];
  spEntityId: string;
  acsUrl: string;
  /** PEM private keys, current first, to decrypt an EncryptedAssertion. */
  decryptionKeys: string[];
}

export type ValidationRefusal =
  | 'malformed' | 'doctype_refused' | 'sha1_refused' | 'unsigned' | 'signature_invalid' | 'certificate_unknown'
  | 'multiple_assertions' | 'assertion_missing' | 'idp_error' | 'decryption_failed' | 'audience_mismatch';

export interface SignerCertificate {
  fingerprint_sha256: string;
  not_after: string;
  subject: string;
}

export type ValidationResult =
  | { ok: true; facts: AssertionFacts }
  | { ok: false; reason: ValidationRefusal; detail: string; certificate?: SignerCertificate };

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const SHA1_ALGORITHMS = /^http:\/\/www\.w3\.org\/2000\/09\/xmldsig#(rsa-sha1|dsa-sha1|hmac-sha1|sha1)$|^http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#ecdsa-sha1$/;

// Defence in depth for what the raw-text scan cannot see (a signature inside an EncryptedAssertion):
// xml-crypto itself is left without SHA-1, so a SHA-1 signature or digest never verifies. This patches
// the module's export in the worker thread only.
const signedXmlModule = createRequire(import.meta.url)('xml-crypto/lib/signed-xml.js') as { SignedXml: new (...args: unknown[]) => object };
const OriginalSignedXml = signedXmlModule.SignedXml;
if (!(OriginalSignedXml as { gatehouseNoSha1?: boolean }).gatehouseNoSha1) {
  class NoSha1SignedXml extends OriginalSignedXml {
    static gatehouseNoSha1 = true;
    constructor(...args: unknown[]) {
      super(...args);
      const self = this as unknown as { HashAlgorithms: Record<string, unknown>; SignatureAlgorithms: Record<string, unknown> };
      for (const table of [self.HashAlgorithms, self.SignatureAlgorithms]) {
        for (const uri of Object.keys(table)) if (SHA1_ALGORITHMS.test(uri)) delete table[uri];
      }
    }
  }
  signedXmlModule.SignedXml = NoSha1SignedXml;
}

export async function validateSamlResponse(input: ValidationInput): Promise<ValidationResult> {
  const base64 = input.samlResponse.replace(/\s+/g, '');
  if (base64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return refuse('malformed', 'SAMLResponse is not base64.');
  const xml = Buffer.from(base64, 'base64').toString('utf8');

  // Before any parser: a DTD (entity expansion, external entities) or a processing instruction.
  const forbidden = forbiddenMarkup(xml.replace(/^\uFEFF/, ''));
  if (forbidden) return refuse('doctype_refused', `The response contains ${forbidden}; SAML responses never need one.`);

  let root: Element;
  try {
    root = parse(xml);
  } catch (error) {
    return refuse('malformed', `The response is not well-formed XML: ${message(error)}`);
  }
  if (root.localName !== 'Response' || root.namespaceURI !== 'urn:oasis:names:tc:SAML:2.0:protocol') {
    return refuse('malformed', `The document is a <${root.localName}>, not a SAML 2.0 <samlp:Response>.`);
  }
  // Only inside signatures: an EncryptedKey's RSA-OAEP parameters also use ds:DigestMethod (SHA-1 by
  // default), which is key transport, not a signature.
  const signedInfos = elements(root, DSIG, 'Signature').flatMap((signature) => elements(signature, DSIG, 'SignedInfo'));
  for (const element of signedInfos.flatMap((info) => [...elements(info, DSIG, 'SignatureMethod'), ...elements(info, DSIG, 'DigestMethod')])) {
    const algorithm = element.getAttribute('Algorithm') ?? '';
    if (SHA1_ALGORITHMS.test(algorithm)) {
      return refuse('sha1_refused', `The response is signed with SHA-1 (${algorithm}); the IdP must sign with SHA-256.`);
    }
  }
  // Exactly one assertion anywhere in the document, not only where node-saml looks: a second one
  // hidden elsewhere (inside Extensions, an Object, another element) is the signature-wrapping shape.
  const assertions = elements(root, '*', 'Assertion').length + elements(root, '*', 'EncryptedAssertion').length;
  if (assertions > 1) return refuse('multiple_assertions', `The response holds ${assertions} assertions; exactly one is accepted.`);
  const signatures = elements(root, DSIG, 'Signature');
  const encrypted = elements(root, '*', 'EncryptedAssertion').length === 1;
  if (signatures.length === 0 && !encrypted) {
    const status = statusOf(root);
    if (status && !status.endsWith(':Success')) return refuse('idp_error', `The IdP answered with status ${status}.`);
    return refuse('unsigned', 'The response and its assertion are not signed.');
  }

  const keys = input.decryptionKeys.length > 0 ? input.decryptionKeys : [undefined];
  let lastError: unknown;
  for (const key of keys) {
    const saml = new SAML({
      idpCert: input.idpCertificates,
      issuer: input.spEntityId,
      callbackUrl: input.acsUrl,
      audience: input.spEntityId,
      // One signature that covers the assertion is enough: the Response's or the Assertion's.
      wantAssertionsSigned: false,
      wantAuthnResponseSigned: false,
      // Time and InResponseTo are checked by the caller, with Gatehouse's clock and its request store.
      acceptedClockSkewMs: -1,
      validateInResponseTo: ValidateInResponseTo.never,
      ...(key ? { decryptionPvk: key } : {}),
    });
    try {
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: base64 });
      const assertionXml = profile?.getAssertionXml?.();
      if (!profile || !assertionXml) return refuse('assertion_missing', 'The response carries no assertion.');
      return { ok: true, facts: readAssertionFacts(parse(assertionXml), root) };
    } catch (error) {
      lastError = error;
      // A key that cannot decrypt: try the next one (a rotated SP encryption key in its overlap).
      if (encrypted && isDecryptionError(error) && key !== keys.at(-1)) continue;
      break;
    }
  }
  return refusalFor(lastError, root, input.idpCertificates, encrypted);
}

/**
 * node-saml lets xml-encryption's errors through, and those are Node's own crypto errors: RSA-OAEP with
 * a key the IdP did not encrypt for fails as `ERR_OSSL_RSA_OAEP_DECODING_ERROR` ("oaep decoding
 * error"), content that does not authenticate as "unable to authenticate data"; neither says "decrypt".
 */
function isDecryptionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return /decrypt|EncryptedAssertion|unable to authenticate data/i.test(message(error)) || (typeof code === 'string' && /^ERR_(OSSL|CRYPTO)_/.test(code));
}

function refusalFor(error: unknown, root: Element, trusted: string[], encrypted: boolean): ValidationResult {
  const text = message(error);
  if (/audience/i.test(text)) return refuse('audience_mismatch', text);
  if (/SAML provider returned/.test(text)) return refuse('idp_error', text);
  if (/multiple assertions/.test(text)) return refuse('multiple_assertions', text);
  if (/Missing SAML assertion/.test(text)) return refuse('assertion_missing', 'The response carries no assertion.');
  if (encrypted && isDecryptionError(error)) return refuse('decryption_failed', `The encrypted assertion could not be decrypted with Gatehouse's SP encryption key: ${text}`);
  const signer = untrustedSigner(root, trusted);
  if (signer) {
    return {
      ok: false,
      reason: 'certificate_unknown',
      detail: `The response is signed by a certificate this connection does not trust (SHA-256 ${signer.fingerprint_sha256}, expires ${signer.not_after}): the IdP may have rotated its signing certificate.`,
      certificate: signer,
    };
  }
  return refuse('signature_invalid', `The signature does not verify with the connection's certificates: ${text}`);
}

/** The certificate the IdP put in the signature's KeyInfo, when the connection holds none of them. */
function untrustedSigner(root: Element, trusted: string[]): SignerCertificate | undefined {
  const trustedPrints = new Set(trusted.map((pem) => new X509Certificate(pem).fingerprint256));
  const candidates: SignerCertificate[] = [];
  // Only a signature's KeyInfo names a signer: an EncryptedKey's KeyInfo carries Gatehouse's own SP
  // encryption certificate, which must never be reported as the IdP's new signing certificate.
  for (const node of elements(root, DSIG, 'Signature').flatMap((signature) => elements(signature, DSIG, 'X509Certificate'))) {
    try {
      const cert = new X509Certificate(Buffer.from((node.textContent ?? '').replace(/\s+/g, ''), 'base64'));
      if (trustedPrints.has(cert.fingerprint256)) return undefined;
      candidates.push({ fingerprint_sha256: cert.fingerprint256, not_after: cert.validToDate.toISOString(), subject: cert.subject.split('\n').join(', ') });
    } catch {
      // not a certificate: nothing to report
    }
  }
  return candidates[0];
}

function statusOf(root: Element): string | undefined {
  return elements(root, '*', 'StatusCode')[0]?.getAttribute('Value') ?? undefined;
}

function parse(xml: string): Element {
  const parser = new DOMParser({
    onError: (level, text) => {
      if (level !== 'warning') throw new Error(text);
    },
  });
  const root = parser.parseFromString(xml, 'text/xml').documentElement;
  if (!root) throw new Error('no root element');
  return root;
}

export function elements(root: Element, ns: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(ns, localName)).concat(root.localName === localName && (ns === '*' || root.namespaceURI === ns) ? [root] : []);
}

function refuse(reason: ValidationRefusal, detail: string): ValidationResult {
  return { ok: false, reason, detail };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
