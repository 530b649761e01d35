import { DOMParser, type Element } from '@xmldom/xmldom';
import { MetadataError } from './metadata.errors.ts';
import { type CertificateInfo, readCertificate } from './idp-certificate.ts';
import { refuseDoctypeAndProcessingInstructions, refuseOversize } from './xml-safety.ts';

export { MetadataError, type MetadataErrorCode } from './metadata.errors.ts';

// Certificate reading and the raw-text checks live in their own modules; re-exported here so that
// callers keep importing the metadata reader's whole API from one place.
export { certificateInfo, type CertificateInfo } from './idp-certificate.ts';
export { MAX_METADATA_BYTES, MAX_METADATA_MARKUP } from './xml-safety.ts';

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

// ---------------------------------------------------------------------------------------------------

function parseXml(xml: string): Element {
  refuseOversize(xml);
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
