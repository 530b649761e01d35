import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { AppError } from '../../http/errors.ts';
import { forbiddenMarkup } from '../saml/xml-safety.ts';

const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
/** An AuthnRequest is under 2 KB; these bound the query parameter and what it inflates to. */
const MAX_ENCODED_CHARS = 16 * 1024;
const MAX_XML_BYTES = 64 * 1024;

/** What the simulator reads from an AuthnRequest; nothing else in it matters to a test IdP. */
export interface ReadAuthnRequest {
  id: string;
  issuer: string;
  /** Absent: the IdP answers at the SP's one ACS (saml-core §3.4.1). */
  acsUrl: string | undefined;
}

const refuse = (message: string, detail?: string) => new AppError(400, 'bad_saml_request', message, { detail });

/**
 * Reads a `SAMLRequest` sent over HTTP-Redirect (saml-bindings §3.4.4.1: DEFLATE, then base64), with the
 * same rule as every SAML message Gatehouse reads: no DOCTYPE or processing instruction before parsing.
 * The request's signature is not checked: the simulator signs whoever the tester types in anyway.
 */
export function readRedirectAuthnRequest(samlRequest: string): ReadAuthnRequest {
  if (samlRequest === '') throw refuse('This address receives SAML sign-in requests from Gatehouse; none was sent.');
  if (samlRequest.length > MAX_ENCODED_CHARS) throw refuse('This SAML request is larger than an AuthnRequest can be.');
  let xml: string;
  try {
    // A '+' decoded as a space by a lenient query parser is put back.
    xml = inflateRawSync(Buffer.from(samlRequest.replace(/ /g, '+'), 'base64'), { maxOutputLength: MAX_XML_BYTES }).toString('utf8');
  } catch (cause) {
    throw refuse('This SAML request could not be read: it is not DEFLATE-compressed base64, or it is too large.', String(cause));
  }
  const forbidden = forbiddenMarkup(xml);
  if (forbidden) throw refuse(`This SAML request contains ${forbidden}, which no AuthnRequest needs; it is refused.`);

  let problem: string | undefined;
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') problem ??= message;
    },
  });
  const root = (() => {
    try {
      return parser.parseFromString(xml, 'text/xml').documentElement;
    } catch (cause) {
      problem ??= String(cause);
      return null;
    }
  })();
  if (problem !== undefined || !root) throw refuse('This SAML request is not well-formed XML.', problem);
  if (root.namespaceURI !== PROTOCOL_NS || root.localName !== 'AuthnRequest') {
    throw refuse(`This SAML message is a ${root.localName}, not an AuthnRequest.`);
  }
  const id = root.getAttribute('ID') ?? '';
  // saml-core §1.3.4: xs:ID, an NCName; bounded, since it goes back into the response as InResponseTo.
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/.test(id)) throw refuse('This AuthnRequest has no usable ID.');
  const issuerElement = Array.from(root.childNodes).find((node) => node.nodeType === node.ELEMENT_NODE && node.namespaceURI === ASSERTION_NS && node.localName === 'Issuer');
  const issuer = issuerElement?.textContent?.trim() ?? '';
  if (issuer === '') throw refuse('This AuthnRequest does not name its issuer (the SP entity id).');
  const acsUrl = root.getAttribute('AssertionConsumerServiceURL') ?? undefined;
  return { id, issuer, acsUrl: acsUrl === '' ? undefined : acsUrl };
}
