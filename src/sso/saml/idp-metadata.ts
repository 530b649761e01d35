import { X509Certificate } from 'node:crypto';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { AppError } from '../../http/errors.ts';

/**
 * Reads SAML 2.0 IdP metadata (an `EntityDescriptor`, or an `EntitiesDescriptor` aggregate) pasted,
 * uploaded or downloaded in the setup wizard, and refreshed by the certificate monitor. It reads; it
 * does not verify the metadata's own signature (trust comes from the admin who chose the document) and
 * it does not refuse a document for expired certificates or a past `validUntil`: those are returned for
 * the caller to show or act on.
 */

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** The largest document read. Federation aggregates reach ~1.5 MB; one IdP's metadata is a few KB. */
export const MAX_METADATA_BYTES = 5 * 1024 * 1024;
/**
 * The most markup (`<` characters) read. xmldom blocks the event loop ~14 s on 5 MB of empty elements,
 * and more on deep nesting; 50,000 costs under a second and is 5x the 172-entity SWITCHaai aggregate (9,895).
 */
export const MAX_METADATA_MARKUP = 50_000;

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

export interface IdpMetadata {
  entityId: string;
  /** Send AuthnRequests to `redirect` when present (the usual SP-initiated binding), else to `post`. */
  ssoUrl: { redirect?: string; post?: string };
  /** Signing certificates (KeyDescriptor use="signing" or no use), deduplicated, in document order. */
  certificates: CertificateInfo[];
  wantAuthnRequestsSigned: boolean;
  nameIdFormats: string[];
  /** The earliest `validUntil` of the entity and its enclosing EntitiesDescriptors, ISO 8601 (unparseable ones ignored). */
  validUntil?: string;
}

export type MetadataErrorCode =
  | 'not_xml'
  | 'doctype_refused'
  | 'not_saml_metadata'
  | 'no_idp'
  | 'several_idps'
  | 'entity_not_found'
  | 'no_sso_url'
  | 'no_signing_certificate'
  | 'bad_certificate'
  | 'too_large';

/** A document that cannot be used as IdP metadata. `message` is written for the customer's IT admin. */
export class MetadataError extends AppError {
  declare readonly code: MetadataErrorCode;
  /** For `several_idps`: every IdP entity id in the document, for the wizard to offer as a choice. */
  readonly entityIds: string[];

  constructor(code: MetadataErrorCode, message: string, options: { detail?: string; cause?: unknown; entityIds?: string[] } = {}) {
    super(code === 'too_large' ? 413 : 422, code, message, options);
    this.name = 'MetadataError';
    this.entityIds = options.entityIds ?? [];
  }
}

export function parseIdpMetadata(xml: string, options: { entityId?: string; now: Date }): IdpMetadata {
  const root = parseXml(xml);
  if (root.namespaceURI !== MD || (root.localName !== 'EntityDescriptor' && root.localName !== 'EntitiesDescriptor')) {
    throw new MetadataError(
      'not_saml_metadata',
      `This XML document is not SAML 2.0 metadata: its root element is <${root.localName}>` +
        `${root.namespaceURI ? ` in namespace ${root.namespaceURI}` : ' with no namespace'}, ` +
        `not <EntityDescriptor> or <EntitiesDescriptor> in namespace ${MD}.`,
    );
  }
  const entity = chooseEntity(root, options.entityId);
  return readIdp(entity, options.now);
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

// ---------------------------------------------------------------------------------------------------

function parseXml(xml: string): Element {
  if (xml.length > MAX_METADATA_BYTES || Buffer.byteLength(xml, 'utf8') > MAX_METADATA_BYTES) {
    throw new MetadataError(
      'too_large',
      `The metadata is larger than ${MAX_METADATA_BYTES / 1024 / 1024} MB. An IdP's metadata is a few KB; ` +
        'for a federation aggregate, download the metadata of your IdP alone.',
    );
  }
  let markup = 0;
  for (let at = xml.indexOf('<'); at !== -1; at = xml.indexOf('<', at + 1)) {
    if (++markup > MAX_METADATA_MARKUP) {
      throw new MetadataError(
        'too_large',
        `The metadata has more than ${MAX_METADATA_MARKUP} XML tags. An IdP's metadata has a few dozen; ` +
          'for a federation aggregate, download the metadata of your IdP alone.',
      );
    }
  }
  // Entra's FederationMetadata.xml starts with a UTF-8 BOM (the caller decoded the bytes as UTF-8), and
  // a paste into the wizard often starts with a newline: neither is worth refusing the document for.
  const text = xml.replace(/^\uFEFF/, '').trimStart();
  refuseDoctypeAndProcessingInstructions(text);

  if (!text.startsWith('<')) {
    const hint = text.startsWith('{') ? ' It looks like JSON (an OpenID Connect discovery document?).' : '';
    throw new MetadataError('not_xml', `This is not an XML document, so it cannot be SAML metadata.${hint}`);
  }
  // xmldom "repairs" some malformed markup (unquoted attribute values …) with only a warning: any
  // report, warnings included, refuses the document rather than guess what the author meant.
  let problem: string | undefined;
  const parser = new DOMParser({
    onError: (_level, message) => {
      problem ??= message;
      throw new Error(message);
    },
  });
  let root: Element | null = null;
  try {
    root = parser.parseFromString(text, 'application/xml').documentElement;
  } catch (cause) {
    problem ??= cause instanceof Error ? cause.message : String(cause);
  }
  if (problem !== undefined || !root) {
    const reason = (problem ?? 'no root element').split('\n')[0]!.slice(0, 200);
    throw new MetadataError('not_xml', `This is not well-formed XML (${reason}). Download the metadata again, unchanged.`, {
      detail: problem,
    });
  }
  return root;
}

/**
 * DESIGN.md "Security rules": DOCTYPE and processing instructions are refused before the XML is parsed.
 * A DTD is what carries entity expansion ("billion laughs") and external entities (XXE); no metadata
 * needs one. A processing instruction is read differently by different XML tools. Only the XML
 * declaration at the very start is allowed. The scan is on the raw text, so a `<!DOCTYPE` or `<?` inside a
 * comment or CDATA is refused too: no real metadata has one.
 */
function refuseDoctypeAndProcessingInstructions(text: string): void {
  const dtd = /<!(DOCTYPE|ENTITY)\b/i.exec(text);
  if (dtd) {
    const html = /^<!DOCTYPE\s+html\b/i.test(text.slice(dtd.index));
    throw new MetadataError(
      'doctype_refused',
      html
        ? 'This is a web page (<!DOCTYPE html>), not SAML metadata. Download the metadata XML from your identity provider.'
        : `The document contains a <!${dtd[1]!.toUpperCase()}> declaration. SAML metadata never needs one, and ` +
            'it can be used to attack the XML reader (entity expansion, external entities), so it is refused.',
    );
  }
  for (const pi of text.matchAll(/<\?/g)) {
    if (pi.index === 0 && /^<\?xml\s/.test(text)) continue; // the XML declaration
    const target = /^<\?([^\s?]*)/.exec(text.slice(pi.index))?.[1] ?? '';
    throw new MetadataError(
      'doctype_refused',
      `The document contains a processing instruction (<?${target.slice(0, 40)} …?>). SAML metadata never ` +
        'needs one (only the <?xml …?> declaration at the very start is allowed), so it is refused.',
    );
  }
}

interface Entity {
  element: Element;
  entityId: string;
  /** validUntil of the entity and of each enclosing EntitiesDescriptor (SAML metadata §2.3.1). */
  validUntil: string[];
}

function chooseEntity(root: Element, wanted: string | undefined): Entity {
  const entities = collectEntities(root);
  if (entities.length === 0 && root.localName === 'EntityDescriptor') {
    throw new MetadataError('not_saml_metadata', 'The EntityDescriptor has no entityID attribute, so it cannot be used.');
  }
  const idps = entities.filter((entity) => idpDescriptor(entity.element));
  const describe = (list: Entity[]) => {
    const shown = list.slice(0, 5).map((entity) => `"${entity.entityId}"`);
    return shown.join(', ') + (list.length > 5 ? ` and ${list.length - 5} more` : '');
  };

  if (wanted !== undefined) {
    const entity = entities.find((candidate) => candidate.entityId === wanted.trim());
    if (!entity) {
      const known =
        root.localName === 'EntityDescriptor'
          ? `it describes "${entities[0]?.entityId}"`
          : `it has ${idps.length} identity provider${idps.length === 1 ? '' : 's'}${idps.length ? `: ${describe(idps)}` : ''}`;
      throw new MetadataError('entity_not_found', `The metadata has no entity "${wanted}" (${known}).`);
    }
    if (!idps.includes(entity)) throw noIdp(entity.element, `The entity "${entity.entityId}"`);
    return entity;
  }
  if (idps.length === 1) return idps[0]!;
  if (idps.length === 0) {
    throw noIdp(entities.length === 1 ? entities[0]!.element : undefined, 'This metadata');
  }
  throw new MetadataError(
    'several_idps',
    `This metadata describes ${idps.length} identity providers (a federation aggregate). ` +
      `Choose yours by its entity ID, for example ${describe(idps)}.`,
    { entityIds: idps.map((entity) => entity.entityId) },
  );
}

function noIdp(entity: Element | undefined, what: string): MetadataError {
  const descriptors = entity ? childElements(entity, MD, 'IDPSSODescriptor') : [];
  if (descriptors.length > 0) {
    return new MetadataError('no_idp', `${what} is an identity provider for SAML 1.x only; Gatehouse needs SAML 2.0.`);
  }
  const sp = entity && childElements(entity, MD, 'SPSSODescriptor').length > 0;
  return new MetadataError(
    'no_idp',
    `${what} describes no identity provider (no IDPSSODescriptor)` +
      (sp ? ': it is a service provider’s metadata. Use your identity provider’s metadata instead.' : '.'),
  );
}

/** EntityDescriptors in document order; EntitiesDescriptors nest (SAML metadata §2.3.1), walked without recursion. */
function collectEntities(root: Element): Entity[] {
  const entities: Entity[] = [];
  const stack: Array<{ element: Element; validUntil: string[] }> = [{ element: root, validUntil: [] }];
  while (stack.length > 0) {
    const { element, validUntil } = stack.pop()!;
    const own = element.getAttribute('validUntil');
    const inherited = own ? [...validUntil, own] : validUntil;
    if (element.localName === 'EntityDescriptor') {
      const entityId = element.getAttribute('entityID')?.trim();
      if (entityId) entities.push({ element, entityId, validUntil: inherited });
      continue;
    }
    const children = childElements(element, MD).filter((child) => child.localName === 'EntityDescriptor' || child.localName === 'EntitiesDescriptor');
    for (const child of children.reverse()) stack.push({ element: child, validUntil: inherited });
  }
  return entities;
}

/** The entity's first IDPSSODescriptor that supports SAML 2.0. */
function idpDescriptor(entity: Element): Element | undefined {
  return childElements(entity, MD, 'IDPSSODescriptor').find((descriptor) =>
    (descriptor.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2_PROTOCOL),
  );
}

function readIdp(entity: Entity, now: Date): IdpMetadata {
  const idp = idpDescriptor(entity.element)!;
  const who = `The identity provider "${entity.entityId}"`;

  const ssoUrl: IdpMetadata['ssoUrl'] = {};
  let unusable: string | undefined;
  for (const service of childElements(idp, MD, 'SingleSignOnService')) {
    const binding = service.getAttribute('Binding')?.trim();
    const key = binding === HTTP_REDIRECT ? 'redirect' : binding === HTTP_POST ? 'post' : undefined;
    if (!key || ssoUrl[key]) continue;
    const location = service.getAttribute('Location')?.trim() ?? '';
    // The browser is sent there: anything but an absolute http(s) URL (javascript:, relative) is unusable.
    if (URL.canParse(location) && /^https?:$/.test(new URL(location).protocol)) ssoUrl[key] = location;
    else unusable ??= location;
  }
  if (!ssoUrl.redirect && !ssoUrl.post) {
    throw new MetadataError(
      'no_sso_url',
      `${who} has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding` +
        (unusable !== undefined ? ` whose Location is an http(s) URL (found "${unusable.slice(0, 100)}").` : '.'),
    );
  }

  const certificates: CertificateInfo[] = [];
  for (const [index, base64] of signingCertificateTexts(idp).entries()) {
    // An empty <X509Certificate/> carries no key: skip it rather than refuse the document.
    if (base64.trim() === '') continue;
    let certificate: CertificateInfo;
    try {
      certificate = readCertificate(base64, now);
    } catch (error) {
      if (!(error instanceof MetadataError)) throw error;
      throw new MetadataError('bad_certificate', `${who}: signing certificate #${index + 1} cannot be read. ${error.message}`, {
        cause: error,
      });
    }
    if (!certificates.some((seen) => seen.fingerprintSha256 === certificate.fingerprintSha256)) certificates.push(certificate);
  }
  if (certificates.length === 0) {
    throw new MetadataError(
      'no_signing_certificate',
      `${who} publishes no signing certificate (no X509Certificate in a KeyDescriptor for signing). ` +
        'Enter the IdP signing certificate by hand.',
    );
  }

  const nameIdFormats: string[] = [];
  for (const format of childElements(idp, MD, 'NameIDFormat')) {
    const value = format.textContent?.trim();
    if (value && !nameIdFormats.includes(value)) nameIdFormats.push(value);
  }

  const validUntil = entity.validUntil
    .map((value) => new Date(value.trim()))
    .filter((date) => !Number.isNaN(date.getTime()))
    .sort((a, b) => a.getTime() - b.getTime())[0];

  const metadata: IdpMetadata = {
    entityId: entity.entityId,
    ssoUrl,
    certificates,
    wantAuthnRequestsSigned: /^(true|1)$/.test(idp.getAttribute('WantAuthnRequestsSigned')?.trim() ?? ''),
    nameIdFormats,
  };
  if (validUntil) metadata.validUntil = validUntil.toISOString();
  return metadata;
}

/**
 * The base64 text of each certificate in the KeyDescriptors for signing: use="signing", or no `use`,
 * which means both (SAML metadata §2.4.1.1). Only use="encryption" is skipped.
 *
 * Fallback, on purpose: when a KeyDescriptor holds no xmldsig-namespaced X509Certificate, an element
 * named X509Certificate in any namespace inside that same KeyDescriptor is read. samlify's "rolling
 * cert" metadata leaves KeyInfo unprefixed under a default md namespace, so a namespace-correct reader
 * finds nothing although the admin plainly sees the certificates. This costs no security: the metadata
 * is not a signed statement here (its trust is the admin's choice of document), the fallback never
 * reaches outside the IdP's own KeyDescriptor (not the metadata signature's KeyInfo, not another
 * entity), and the text must still be a valid X.509 certificate.
 */
function signingCertificateTexts(idp: Element): string[] {
  const texts: string[] = [];
  for (const keyDescriptor of childElements(idp, MD, 'KeyDescriptor')) {
    if (keyDescriptor.getAttribute('use')?.trim() === 'encryption') continue;
    let found = elementsIn(keyDescriptor, DS, 'X509Certificate');
    if (found.length === 0) found = elementsIn(keyDescriptor, '*', 'X509Certificate');
    for (const element of found) texts.push(element.textContent ?? '');
  }
  return texts;
}

function readCertificate(text: string, now: Date): CertificateInfo {
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

function childElements(parent: Element, namespace: string, localName?: string): Element[] {
  const result: Element[] = [];
  for (let i = 0; i < parent.children.length; i++) {
    const child = parent.children[i]!;
    if (child.namespaceURI === namespace && (localName === undefined || child.localName === localName)) result.push(child);
  }
  return result;
}

function elementsIn(parent: Element, namespace: string, localName: string): Element[] {
  const list = parent.getElementsByTagNameNS(namespace, localName);
  return Array.from({ length: list.length }, (_, i) => list[i]!);
}
