import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SAML, type SamlConfig } from '@node-saml/node-saml';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { buildSamlResponse, encodeSamlResponse, type SamlResponseOptions } from '../../../src/sso/simulator/saml-response.ts';

// The builder's output is judged by a real SP library: @node-saml/node-saml's SAML class.

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/saml/${name}`, import.meta.url), 'utf8');
const IDP_KEY = fixture('idp-signing.key');
const IDP_CERT = fixture('idp-signing.crt');
const ROTATED_KEY = fixture('idp-rotated.key');
const ROTATED_CERT = fixture('idp-rotated.crt');
const SP_ENCRYPTION_KEY = fixture('sp-encryption.key');
const SP_ENCRYPTION_CERT = fixture('sp-encryption.crt');

const IDP_ENTITY_ID = 'https://idp.example.test/saml/metadata';
const SP_ENTITY_ID = 'https://gatehouse.test/saml/sp';
const ACS_URL = 'https://gatehouse.test/saml/acs';
const NOW = new Date('2025-06-01T12:00:00.000Z');

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

type Signing = SamlResponseOptions['signing'];

/** The IdP's current key pair, signing `sign`. */
function signing(sign: Signing['sign'], extra: Partial<Signing> = {}): Signing {
  return { privateKeyPem: IDP_KEY, certificatePem: IDP_CERT, sign, ...extra };
}

function responseOptions(overrides: Partial<SamlResponseOptions> = {}): SamlResponseOptions {
  return {
    issuer: IDP_ENTITY_ID,
    destination: ACS_URL,
    audience: SP_ENTITY_ID,
    recipient: ACS_URL,
    nameId: 'ada@example.test',
    attributes: { email: 'ada@example.test', firstName: 'Ada' },
    now: NOW,
    signing: signing('assertion'),
    ...overrides,
  };
}

function serviceProvider(config: Partial<SamlConfig> = {}): SAML {
  return new SAML({
    idpCert: IDP_CERT,
    issuer: SP_ENTITY_ID,
    callbackUrl: ACS_URL,
    audience: SP_ENTITY_ID,
    wantAssertionsSigned: false,
    wantAuthnResponseSigned: false,
    // Timestamps are not under test here: NOW is a fixed past instant.
    acceptedClockSkewMs: -1,
    decryptionPvk: SP_ENCRYPTION_KEY,
    ...config,
  });
}

async function validate(xml: string, config: Partial<SamlConfig> = {}) {
  return serviceProvider(config).validatePostResponseAsync({ SAMLResponse: encodeSamlResponse(xml) });
}

function parse(xml: string): Element {
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  if (!root) throw new Error('no document element');
  return root;
}

/** Child elements as "prefix:localName", to compare the schema order. */
function childNames(element: Element): string[] {
  return Array.from(element.childNodes)
    .filter((node): node is Element => node.nodeType === 1)
    .map((child) => child.nodeName);
}

function onlyChild(parent: Element, namespace: string, localName: string): Element {
  const found = Array.from(parent.childNodes).filter(
    (node): node is Element =>
      node.nodeType === 1 && (node as Element).namespaceURI === namespace && (node as Element).localName === localName,
  );
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('buildSamlResponse: accepted by node-saml', () => {
  it('sign: assertion — signature right after the Assertion Issuer, the Response unsigned', async () => {
    const xml = await buildSamlResponse(responseOptions({ sessionIndex: '_session-1' }));
    const response = parse(xml);
    expect(response.namespaceURI).toBe(SAMLP);
    expect(response.localName).toBe('Response');
    expect(childNames(response)).toEqual(['saml:Issuer', 'samlp:Status', 'saml:Assertion']);
    const assertion = onlyChild(response, SAML_NS, 'Assertion');
    expect(childNames(assertion)).toEqual([
      'saml:Issuer', 'ds:Signature', 'saml:Subject', 'saml:Conditions', 'saml:AuthnStatement', 'saml:AttributeStatement',
    ]);
    const signature = onlyChild(assertion, DS, 'Signature');
    expect(signature.getElementsByTagName('ds:Reference')[0]?.getAttribute('URI')).toBe(`#${assertion.getAttribute('ID')}`);
    expect(signature.getElementsByTagName('ds:CanonicalizationMethod')[0]?.getAttribute('Algorithm')).toBe(
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    );
    expect(
      Array.from(signature.getElementsByTagName('ds:Transform')).map((transform) => transform.getAttribute('Algorithm')),
    ).toEqual(['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#']);
    // KeyInfo: the DER in base64, no PEM armour.
    const certificate = signature.getElementsByTagName('ds:X509Certificate')[0]?.textContent ?? '';
    expect(certificate).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(certificate, 'base64')).toEqual(new X509Certificate(IDP_CERT).raw);
    expect(response.getElementsByTagNameNS(DS, 'Signature')).toHaveLength(1);

    const { profile } = await validate(xml, { wantAssertionsSigned: true });
    expect(profile).toMatchObject({
      issuer: IDP_ENTITY_ID,
      nameID: 'ada@example.test',
      nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      sessionIndex: '_session-1',
      attributes: { email: 'ada@example.test', firstName: 'Ada' },
    });
  });

  it('sign: response — signature right after the Response Issuer, the Assertion unsigned', async () => {
    const xml = await buildSamlResponse(responseOptions({ signing: signing('response') }));
    const response = parse(xml);
    expect(childNames(response)).toEqual(['saml:Issuer', 'ds:Signature', 'samlp:Status', 'saml:Assertion']);
    const signature = onlyChild(response, DS, 'Signature');
    expect(signature.getElementsByTagName('ds:Reference')[0]?.getAttribute('URI')).toBe(`#${response.getAttribute('ID')}`);
    expect(childNames(onlyChild(response, SAML_NS, 'Assertion'))[1]).toBe('saml:Subject');

    const { profile } = await validate(xml, { wantAuthnResponseSigned: true });
    expect(profile?.nameID).toBe('ada@example.test');
  });

  it('sign: both — both signatures verify (node-saml told to want both)', async () => {
    const xml = await buildSamlResponse(responseOptions({ signing: signing('both') }));
    const response = parse(xml);
    expect(childNames(response)).toEqual(['saml:Issuer', 'ds:Signature', 'samlp:Status', 'saml:Assertion']);
    expect(childNames(onlyChild(response, SAML_NS, 'Assertion')).slice(0, 2)).toEqual(['saml:Issuer', 'ds:Signature']);

    const { profile } = await validate(xml, { wantAssertionsSigned: true, wantAuthnResponseSigned: true });
    expect(profile?.nameID).toBe('ada@example.test');
  });

  it('encryptFor: an EncryptedAssertion (AES-256-GCM, RSA-OAEP) holding the signed assertion', async () => {
    const xml = await buildSamlResponse(responseOptions({ encryptFor: { certificatePem: SP_ENCRYPTION_CERT } }));
    const response = parse(xml);
    expect(childNames(response)).toEqual(['saml:Issuer', 'samlp:Status', 'saml:EncryptedAssertion']);
    expect(response.getElementsByTagNameNS(SAML_NS, 'Assertion')).toHaveLength(0);
    expect(xml).not.toContain('ada@example.test');
    expect(xml).toContain('Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"');
    expect(xml).toContain('Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"');

    // wantAssertionsSigned: the signature inside the decrypted assertion is what node-saml verifies.
    const { profile } = await validate(xml, { wantAssertionsSigned: true });
    expect(profile).toMatchObject({ nameID: 'ada@example.test', attributes: { firstName: 'Ada' } });
  });

  it('encryptFor with sign: both — the Response signature covers the EncryptedAssertion', async () => {
    const xml = await buildSamlResponse(
      responseOptions({
        signing: signing('both'),
        encryptFor: { certificatePem: SP_ENCRYPTION_CERT },
      }),
    );
    expect(childNames(parse(xml))).toEqual(['saml:Issuer', 'ds:Signature', 'samlp:Status', 'saml:EncryptedAssertion']);
    const { profile } = await validate(xml, { wantAssertionsSigned: true, wantAuthnResponseSigned: true });
    expect(profile?.nameID).toBe('ada@example.test');
  });

  it('multi-valued attributes and XML special characters are read back exactly', async () => {
    const attributes = {
      groups: ['Admins & Owners', '<script>alert(1)</script>', `"double" and 'single' quotes`],
      displayName: `Zoë O'Brien <zoe> & "Co" — 😀`,
      'urn:example:a&b<"c">': 'name with special characters',
      whitespace: ['  padded  ', 'line one\nline two', 'tab\there', 'carriage\r\nreturn'],
      'single-in-array': ['only'],
    };
    const nameId = `o'brien+"x"&<y>@example.test`;
    const xml = await buildSamlResponse(
      responseOptions({ nameId, attributes, signing: signing('both') }),
    );
    expect(xml).not.toContain('<script>');

    const { profile } = await validate(xml, { wantAssertionsSigned: true, wantAuthnResponseSigned: true });
    expect(profile?.nameID).toBe(nameId);
    // node-saml gives a one-element list as a plain string.
    expect(profile?.attributes).toEqual({ ...attributes, 'single-in-array': 'only' });
  });

  it('with inResponseTo: on the Response and on SubjectConfirmationData', async () => {
    const xml = await buildSamlResponse(responseOptions({ inResponseTo: '_request-1' }));
    const response = parse(xml);
    expect(response.getAttribute('InResponseTo')).toBe('_request-1');
    const data = response.getElementsByTagNameNS(SAML_NS, 'SubjectConfirmationData')[0];
    expect(data?.getAttribute('InResponseTo')).toBe('_request-1');
    expect(data?.getAttribute('Recipient')).toBe(ACS_URL);
    const { profile } = await validate(xml);
    expect(profile?.inResponseTo).toBe('_request-1');
  });

  it('an SP that trusts both the old and the rotated certificate accepts either signature', async () => {
    const xml = await buildSamlResponse(
      responseOptions({ signing: signing('assertion', { privateKeyPem: ROTATED_KEY, certificatePem: ROTATED_CERT }) }),
    );
    const { profile } = await validate(xml, { idpCert: [IDP_CERT, ROTATED_CERT] });
    expect(profile?.nameID).toBe('ada@example.test');
  });
});

describe('buildSamlResponse: refused by node-saml', () => {
  it.each(['assertion', 'response', 'both'] as const)(
    'sign: %s by the rotated key, validated against the old certificate (KeyInfo carries the rotated one)',
    async (sign) => {
      const rotated = signing(sign, { privateKeyPem: ROTATED_KEY, certificatePem: ROTATED_CERT });
      const xml = await buildSamlResponse(responseOptions({ signing: rotated }));
      await expect(validate(xml)).rejects.toThrow(/^Invalid signature$/);
    },
  );

  it('sign: none', async () => {
    const xml = await buildSamlResponse(responseOptions({ signing: signing('none') }));
    expect(xml).not.toContain(DS);
    await expect(validate(xml)).rejects.toThrow(/^Invalid signature$/);
  });

  it('audience: null — no AudienceRestriction', async () => {
    const xml = await buildSamlResponse(responseOptions({ audience: null }));
    expect(parse(xml).getElementsByTagNameNS(SAML_NS, 'AudienceRestriction')).toHaveLength(0);
    await expect(validate(xml)).rejects.toThrow('SAML assertion has no AudienceRestriction');
  });

  it('statusCode AuthnFailed — nested under Responder, no assertion', async () => {
    const xml = await buildSamlResponse(
      responseOptions({ statusCode: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed', signing: signing('both') }),
    );
    const response = parse(xml);
    expect(childNames(response)).toEqual(['saml:Issuer', 'ds:Signature', 'samlp:Status']);
    const codes = Array.from(response.getElementsByTagNameNS(SAMLP, 'StatusCode')).map((code) => code.getAttribute('Value'));
    expect(codes).toEqual([
      'urn:oasis:names:tc:SAML:2.0:status:Responder',
      'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
    ]);
    await expect(validate(xml)).rejects.toThrow('SAML provider returned Responder error: AuthnFailed');
  });
});

describe('buildSamlResponse: options', () => {
  it('SHA-1 signature and digest write the xmldsig#rsa-sha1 and xmldsig#sha1 URIs', async () => {
    const xml = await buildSamlResponse(
      responseOptions({
        signing: signing('assertion', { signatureAlgorithm: 'sha1', digestAlgorithm: 'sha1' }),
      }),
    );
    expect(xml).toContain('<ds:SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>');
    expect(xml).toContain('<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>');
    // node-saml 5 still accepts SHA-1 signatures: refusing them is the SP's own decision.
    await expect(validate(xml)).resolves.toMatchObject({ profile: { nameID: 'ada@example.test' } });
  });

  it('defaults to rsa-sha256 and xmlenc#sha256; sha512 on request', async () => {
    const sha256 = await buildSamlResponse(responseOptions());
    expect(sha256).toContain('<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>');
    expect(sha256).toContain('<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>');
    const sha512 = await buildSamlResponse(
      responseOptions({
        signing: signing('both', { signatureAlgorithm: 'sha512', digestAlgorithm: 'sha512' }),
      }),
    );
    expect(sha512).toContain('<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"/>');
    expect(sha512).toContain('<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"/>');
    await expect(validate(sha512, { wantAssertionsSigned: true, wantAuthnResponseSigned: true })).resolves.toBeTruthy();
  });

  it('timestamps: now .. now + 5 minutes by default, overrides honoured', async () => {
    const response = parse(await buildSamlResponse(responseOptions({ responseId: '_r1', assertionId: 'a1' })));
    expect(response.getAttribute('ID')).toBe('_r1');
    expect(response.getAttribute('IssueInstant')).toBe('2025-06-01T12:00:00.000Z');
    const assertion = onlyChild(response, SAML_NS, 'Assertion');
    expect(assertion.getAttribute('ID')).toBe('a1');
    const conditions = onlyChild(assertion, SAML_NS, 'Conditions');
    expect(conditions.getAttribute('NotBefore')).toBe('2025-06-01T12:00:00.000Z');
    expect(conditions.getAttribute('NotOnOrAfter')).toBe('2025-06-01T12:05:00.000Z');
    const data = assertion.getElementsByTagNameNS(SAML_NS, 'SubjectConfirmationData')[0];
    expect(data?.getAttribute('NotOnOrAfter')).toBe('2025-06-01T12:05:00.000Z');
    const authn = onlyChild(assertion, SAML_NS, 'AuthnStatement');
    expect(authn.getAttribute('AuthnInstant')).toBe('2025-06-01T12:00:00.000Z');

    const custom = parse(
      await buildSamlResponse(
        responseOptions({
          notBefore: new Date('2025-06-01T11:00:00Z'),
          notOnOrAfter: new Date('2025-06-01T13:00:00Z'),
          subjectConfirmationNotOnOrAfter: new Date('2025-06-01T12:01:00Z'),
        }),
      ),
    );
    const customConditions = custom.getElementsByTagNameNS(SAML_NS, 'Conditions')[0];
    expect(customConditions?.getAttribute('NotBefore')).toBe('2025-06-01T11:00:00.000Z');
    expect(customConditions?.getAttribute('NotOnOrAfter')).toBe('2025-06-01T13:00:00.000Z');
    expect(custom.getElementsByTagNameNS(SAML_NS, 'SubjectConfirmationData')[0]?.getAttribute('NotOnOrAfter')).toBe(
      '2025-06-01T12:01:00.000Z',
    );
  });

  it('null destination, recipient and confirmation method, and no attributes, leave those out', async () => {
    const xml = await buildSamlResponse(
      responseOptions({
        destination: null,
        recipient: null,
        attributes: {},
        subjectConfirmationMethod: null,
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      }),
    );
    const response = parse(xml);
    expect(response.hasAttribute('Destination')).toBe(false);
    expect(response.hasAttribute('InResponseTo')).toBe(false);
    expect(response.getElementsByTagNameNS(SAML_NS, 'SubjectConfirmation')).toHaveLength(0);
    expect(response.getElementsByTagNameNS(SAML_NS, 'AttributeStatement')).toHaveLength(0);
    expect(response.getElementsByTagNameNS(SAML_NS, 'NameID')[0]?.getAttribute('Format')).toBe(
      'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    );

    const withoutRecipient = parse(await buildSamlResponse(responseOptions({ recipient: null })));
    const data = withoutRecipient.getElementsByTagNameNS(SAML_NS, 'SubjectConfirmationData')[0];
    expect(data?.hasAttribute('Recipient')).toBe(false);
  });

  it('random IDs start with an underscore and differ; an ID that is not an xs:ID is refused', async () => {
    const first = parse(await buildSamlResponse(responseOptions()));
    const second = parse(await buildSamlResponse(responseOptions()));
    expect(first.getAttribute('ID')).toMatch(/^_[0-9a-f]{40}$/);
    expect(first.getAttribute('ID')).not.toBe(second.getAttribute('ID'));
    await expect(buildSamlResponse(responseOptions({ assertionId: '1abc' }))).rejects.toThrow(TypeError);
    await expect(buildSamlResponse(responseOptions({ responseId: `_a"b` }))).rejects.toThrow(TypeError);
  });

  it('a character XML 1.0 cannot carry is refused rather than written', async () => {
    await expect(buildSamlResponse(responseOptions({ nameId: 'ada\u0000@example.test' }))).rejects.toThrow(TypeError);
    await expect(buildSamlResponse(responseOptions({ attributes: { name: '\uD800' } }))).rejects.toThrow(TypeError);
  });

  it('encodeSamlResponse is plain base64 of the UTF-8 bytes', () => {
    expect(encodeSamlResponse('<a>é</a>')).toBe(Buffer.from('<a>é</a>', 'utf8').toString('base64'));
  });
});
