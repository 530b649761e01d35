import { randomBytes } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { encryptAssertion } from './saml-encryption.ts';

/**
 * Builds SAML 2.0 Responses as an IdP posts them to an SP's ACS (saml-core §3.2.2, §2.3.3; saml-profiles
 * §4.1.4.2), for the development IdP simulator and for tests. Every knob a test needs to make one "bad"
 * response differ from a good one by a single change is an option.
 */

export type SignatureAlgorithm = 'sha256' | 'sha512' | 'sha1';

export interface SamlResponseOptions {
  /** IdP entity id, written as the `<saml:Issuer>` of both the Response and the Assertion. */
  issuer: string;
  /** Response/@Destination; null omits the attribute. */
  destination: string | null;
  /** Conditions/AudienceRestriction/Audience; null: no AudienceRestriction. */
  audience: string | null;
  /** SubjectConfirmationData/@Recipient; null omits it. */
  recipient: string | null;
  /** On the Response and on SubjectConfirmationData; null or undefined: omitted (IdP-initiated). */
  inResponseTo?: string | null;
  nameId: string;
  /** Default urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress. */
  nameIdFormat?: string;
  /** The AttributeStatement (omitted when empty): Name is the key, NameFormat unspecified. */
  attributes: Record<string, string | string[]>;
  /** IssueInstant and AuthnInstant; the default validity window is now .. now + 5 minutes. */
  now: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** Default now + 5 minutes. */
  subjectConfirmationNotOnOrAfter?: Date;
  /** Default bearer; null: no SubjectConfirmation at all. */
  subjectConfirmationMethod?: string | null;
  sessionIndex?: string;
  /** Default '_' followed by 40 random hex digits. */
  responseId?: string;
  assertionId?: string;
  /** Default Success. Any other code gives a Response without an assertion. */
  statusCode?: string;
  signing: {
    privateKeyPem: string;
    certificatePem: string;
    sign: 'assertion' | 'response' | 'both' | 'none';
    /** Default sha256. */
    signatureAlgorithm?: SignatureAlgorithm;
    /** Default sha256. */
    digestAlgorithm?: SignatureAlgorithm;
  };
  /** Wraps the (signed) assertion in `<saml:EncryptedAssertion>` for this certificate. */
  encryptFor?: { certificatePem: string };
}

const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';
const SUCCESS = `${STATUS}Success`;
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const EMAIL_ADDRESS = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const UNSPECIFIED_NAME_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified';
const PASSWORD_PROTECTED_TRANSPORT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const VALIDITY_MS = 5 * 60 * 1000;

const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SIGNATURE_METHODS: Record<SignatureAlgorithm, string> = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
};
const DIGEST_METHODS: Record<SignatureAlgorithm, string> = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
};

/** The Response XML, without an XML declaration (UTF-8 is the default encoding). */
export async function buildSamlResponse(options: SamlResponseOptions): Promise<string> {
  const { sign } = options.signing;
  const statusCode = options.statusCode ?? SUCCESS;
  let assertion: string | null = null;
  if (statusCode === SUCCESS) {
    assertion = buildAssertion(options, checkId(options.assertionId ?? randomId()));
    // Sign, then encrypt: the SP verifies the assertion it decrypted (saml-core §6.2).
    if (sign === 'assertion' || sign === 'both') assertion = signRoot(assertion, options.signing);
    if (options.encryptFor) assertion = await encryptAssertion(assertion, options.encryptFor.certificatePem);
  }
  // The assertion is signed first, so the Response's digest covers the assertion's signature as sent.
  const response = buildResponse(options, checkId(options.responseId ?? randomId()), statusCode, assertion);
  return sign === 'response' || sign === 'both' ? signRoot(response, options.signing) : response;
}

/** What the browser posts as SAMLResponse (saml-bindings §3.5.4: base64, no deflate). */
export function encodeSamlResponse(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

function buildResponse(options: SamlResponseOptions, id: string, statusCode: string, assertion: string | null): string {
  return element(
    'samlp:Response',
    {
      'xmlns:samlp': PROTOCOL_NS,
      'xmlns:saml': ASSERTION_NS,
      ID: id,
      Version: '2.0',
      IssueInstant: instant(options.now),
      Destination: options.destination,
      InResponseTo: options.inResponseTo,
    },
    // Schema order (StatusResponseType): Issuer, Signature (inserted when signed), Status, then assertions.
    // The assertion is markup this module built, signed or encrypted, not caller text.
    [element('saml:Issuer', {}, [text(options.issuer)]), status(statusCode), ...(assertion === null ? [] : [assertion as Xml])],
  );
}

function buildAssertion(options: SamlResponseOptions, id: string): string {
  const { now } = options;
  const later = new Date(now.getTime() + VALIDITY_MS);
  const method = options.subjectConfirmationMethod === undefined ? BEARER : options.subjectConfirmationMethod;
  const confirmation =
    method === null
      ? []
      : [
          element('saml:SubjectConfirmation', { Method: method }, [
            element('saml:SubjectConfirmationData', {
              InResponseTo: options.inResponseTo,
              NotOnOrAfter: instant(options.subjectConfirmationNotOnOrAfter ?? later),
              Recipient: options.recipient,
            }),
          ]),
        ];
  const audience =
    options.audience === null
      ? []
      : [element('saml:AudienceRestriction', {}, [element('saml:Audience', {}, [text(options.audience)])])];
  // No xsi:type="xs:string" on values: exclusive c14n drops an `xs` prefix used only inside an attribute
  // value, so a signed typed value needs an InclusiveNamespaces PrefixList; an untyped value (as Entra ID
  // sends) is valid and avoids that.
  const attributes = Object.entries(options.attributes).map(([name, value]) =>
    element(
      'saml:Attribute',
      { Name: name, NameFormat: UNSPECIFIED_NAME_FORMAT },
      (Array.isArray(value) ? value : [value]).map((one) => element('saml:AttributeValue', {}, [text(one)])),
    ),
  );
  // The Assertion declares `saml` itself so that it stands alone once signed, encrypted or decrypted.
  return element('saml:Assertion', { 'xmlns:saml': ASSERTION_NS, ID: id, Version: '2.0', IssueInstant: instant(now) }, [
    // Schema order (AssertionType): Issuer, Signature, Subject, Conditions, statements.
    element('saml:Issuer', {}, [text(options.issuer)]),
    element('saml:Subject', {}, [
      element('saml:NameID', { Format: options.nameIdFormat ?? EMAIL_ADDRESS }, [text(options.nameId)]),
      ...confirmation,
    ]),
    element(
      'saml:Conditions',
      { NotBefore: instant(options.notBefore ?? now), NotOnOrAfter: instant(options.notOnOrAfter ?? later) },
      audience,
    ),
    element('saml:AuthnStatement', { AuthnInstant: instant(now), SessionIndex: options.sessionIndex }, [
      element('saml:AuthnContext', {}, [element('saml:AuthnContextClassRef', {}, [text(PASSWORD_PROTECTED_TRANSPORT)])]),
    ]),
    ...(attributes.length === 0 ? [] : [element('saml:AttributeStatement', {}, attributes)]),
  ]);
}

/**
 * saml-core §3.2.2.2: the top-level StatusCode is one of four; a finer code (AuthnFailed, NoPassive …) is
 * nested under Responder, which is how IdPs report a failed sign-in.
 */
function status(code: string): Xml {
  const topLevel = ['Success', 'Requester', 'Responder', 'VersionMismatch'].map((name) => STATUS + name);
  const inner = element('samlp:StatusCode', { Value: code });
  return element('samlp:Status', {}, [
    topLevel.includes(code) ? inner : element('samlp:StatusCode', { Value: `${STATUS}Responder` }, [inner]),
  ]);
}

/**
 * Signs the root element (saml-core §5.4: enveloped signature, exclusive c14n, Reference URI="#ID") with
 * xml-crypto, the library node-saml verifies with. ds:Signature goes right after the root's Issuer, where
 * the schema wants it; KeyInfo carries the certificate as base64 DER (xml-crypto strips the PEM armour).
 */
function signRoot(xml: string, signing: SamlResponseOptions['signing']): string {
  const signer = new SignedXml({
    privateKey: signing.privateKeyPem,
    publicCert: signing.certificatePem,
    signatureAlgorithm: SIGNATURE_METHODS[signing.signatureAlgorithm ?? 'sha256'],
    canonicalizationAlgorithm: EXCLUSIVE_C14N,
  });
  signer.addReference({
    xpath: '/*',
    transforms: [ENVELOPED_SIGNATURE, EXCLUSIVE_C14N],
    digestAlgorithm: DIGEST_METHODS[signing.digestAlgorithm ?? 'sha256'],
  });
  signer.computeSignature(xml, {
    prefix: 'ds',
    // xml-crypto's location XPath has no namespace resolver, hence local-name() and namespace-uri().
    location: { reference: `/*/*[local-name()='Issuer' and namespace-uri()='${ASSERTION_NS}']`, action: 'after' },
  });
  return signer.getSignedXml();
}

/** xs:ID is an NCName (saml-core §1.3.4): it starts with a letter or '_', never a digit. */
function checkId(id: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(id)) {
    throw new TypeError(`SAML ID ${JSON.stringify(id)} is not an xs:ID (letter or '_', then letters, digits, '_', '.', '-').`);
  }
  return id;
}

/** 160 random bits: saml-core §1.3.4 wants a collision chance of at most 2^-128 and recommends 2^-160. */
function randomId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

/** xs:dateTime in UTC (saml-core §1.3.3). */
function instant(date: Date): string {
  return date.toISOString();
}

/** Markup that is escaped by construction: only `element` and `text` make one, so caller text can't reach the output raw. */
type Xml = string & { readonly __xml: unique symbol };

function element(name: string, attributes: Record<string, string | null | undefined>, children: readonly Xml[] = []): Xml {
  let open = `<${name}`;
  for (const [key, value] of Object.entries(attributes)) {
    if (value != null) open += ` ${key}="${escape(value, ATTRIBUTE_ESCAPES)}"`;
  }
  return (children.length === 0 ? `${open}/>` : `${open}>${children.join('')}</${name}>`) as Xml;
}

function text(value: string): Xml {
  return escape(value, TEXT_ESCAPES) as Xml;
}

// A raw CR would be read back as LF (XML 1.0 §2.11); raw TAB, LF and CR in an attribute as spaces (§3.3.3).
const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTRIBUTE_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;' };
// XML 1.0 §2.2: other control characters and lone surrogates cannot be written at all, not even escaped.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function escape(value: string, escapes: Record<string, string>): string {
  if (NOT_XML_CHAR.test(value)) throw new TypeError(`${JSON.stringify(value)} has a character XML 1.0 cannot carry.`);
  return value.replace(/[&<>"\t\n\r]/g, (c) => escapes[c] ?? c);
}
