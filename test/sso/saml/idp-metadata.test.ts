import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  certificateInfo,
  MetadataError,
  parseIdpMetadata,
  type MetadataErrorCode,
} from '../../../src/sso/saml/idp-metadata.ts';
import { catchError, FIXTURES, NOW, read, refusedBeforeParsing } from '../../helpers/idp-metadata.ts';

/** What the README lists for a file: SSO URLs, signing certificates' notAfter (openssl's GMT, as ISO), etc. */
interface Imported {
  entityId: string;
  redirect?: string;
  post?: string;
  notAfter: string[];
  expired: boolean[];
  /** Last URN component, as in the README. */
  nameIdFormats: string[];
  wantAuthnRequestsSigned: boolean;
  validUntil?: string;
}

function outcome(xml: string, entityId?: string): Imported | MetadataErrorCode {
  try {
    const m = parseIdpMetadata(xml, entityId === undefined ? { now: NOW } : { now: NOW, entityId });
    const imported: Imported = {
      entityId: m.entityId,
      ...(m.ssoUrl.redirect !== undefined && { redirect: m.ssoUrl.redirect }),
      ...(m.ssoUrl.post !== undefined && { post: m.ssoUrl.post }),
      notAfter: m.certificates.map((c) => c.notAfter),
      expired: m.certificates.map((c) => c.expired),
      nameIdFormats: m.nameIdFormats.map((f) => f.split(':').pop()!),
      wantAuthnRequestsSigned: m.wantAuthnRequestsSigned,
    };
    if (m.validUntil !== undefined) imported.validUntil = m.validUntil;
    return imported;
  } catch (error) {
    if (error instanceof MetadataError) return error.code;
    throw error;
  }
}

const same = (url: string) => ({ redirect: url, post: url });
const none = { nameIdFormats: [], wantAuthnRequestsSigned: false };

/** One or more imports per file: `entityId` is the option passed (aggregates), `expect` the outcome. */
const CORPUS: Record<string, Array<{ entityId?: string; expect: Imported | MetadataErrorCode }>> = {
  'okta.xml': [{ expect: {
    entityId: 'http://www.okta.com/exkdoocxa1VmjpXmX697',
    ...same('https://trial-1022863.okta.com/app/trial-1022863_oktalocalhostbis_1/exkdoocxa1VmjpXmX697/sso/saml'),
    notAfter: ['2034-04-25T20:31:02.000Z'], expired: [false], ...none, nameIdFormats: ['emailAddress'],
  } }],
  // The base64 has spaces between its 76-character chunks.
  'okta-2018.xml': [{ expect: {
    entityId: 'http://www.okta.com/exkppsa1qwuFV4D7z0h7',
    ...same('https://dev-513394.oktapreview.com/app/rstudioincdev513394_dev_1/exkppsa1qwuFV4D7z0h7/sso/saml'),
    notAfter: ['2028-09-07T14:33:59.000Z'], expired: [false], ...none, nameIdFormats: ['unspecified', 'emailAddress'],
  } }],
  // BOM, default namespaces; the same certificate 4 times (only the IDPSSODescriptor's counts); expired 6 days ago.
  'entra-id.xml': [{ expect: {
    entityId: 'https://sts.windows.net/a9054a0f-2011-4e31-b3ac-fd8c354146ec/',
    ...same('https://login.microsoftonline.com/a9054a0f-2011-4e31-b3ac-fd8c354146ec/saml2'),
    notAfter: ['2026-11-16T20:41:29.000Z'], expired: [true], ...none,
  } }],
  // SPSSODescriptor and IDPSSODescriptor in one entity; the encryption certificate is skipped.
  'adfs-2012r2.xml': [{ expect: {
    entityId: 'http://www.example.com/adfs/services/trust', ...same('https://www.example.com/adfs/ls/'),
    notAfter: ['2017-10-21T14:50:04.000Z'], expired: [true], ...none, nameIdFormats: ['emailAddress', 'persistent', 'transient'],
  } }],
  'google-workspace.xml': [{ expect: {
    entityId: 'https://accounts.google.com/o/saml2?idpid=C029op2ga', ...same('https://accounts.google.com/o/saml2/idp?idpid=C029op2ga'),
    notAfter: ['2028-07-19T17:28:34.000Z'], expired: [false], ...none, nameIdFormats: ['emailAddress'],
    validUntil: '2028-07-19T17:28:34.000Z',
  } }],
  // The HTTP-Redirect URL contains /http-post/: chosen by Binding, not by URL.
  'onelogin.xml': [{ expect: {
    entityId: 'https://app.onelogin.com/saml/metadata/383123', ...same('https://app.onelogin.com/trust/saml2/http-post/sso/383123'),
    notAfter: ['2018-06-05T17:16:20.000Z'], expired: [true], ...none, nameIdFormats: ['emailAddress'],
  } }],
  // A free-text entityID with spaces; HTTP-POST only.
  'jumpcloud.xml': [{ expect: {
    entityId: 'IdP Entity ID', post: 'https://sso.jumpcloud.com/saml2/ucariontest',
    notAfter: ['2028-11-18T16:28:09.000Z'], expired: [false], ...none, nameIdFormats: ['unspecified'],
  } }],
  'pingone.xml': [{ expect: {
    entityId: 'https://auth.pingone.com/3030059e-440b-4ad0-9217-44326f1757f6',
    ...same('https://auth.pingone.com/3030059e-440b-4ad0-9217-44326f1757f6/saml20/idp/sso'),
    notAfter: ['2024-11-17T16:17:59.000Z'], expired: [true], ...none,
  } }],
  // A comment before the root; default-namespace switches inside.
  'auth0.xml': [{ expect: {
    entityId: 'urn:dev-tyj7qyzz.auth0.com', ...same('https://dev-tyj7qyzz.auth0.com/samlp/AX3jRN4ECnojiEepVjvM7yVCEcpVX6w6'),
    notAfter: ['2032-12-03T13:21:44.000Z'], expired: [false], ...none, nameIdFormats: ['emailAddress', 'persistent', 'transient'],
  } }],
  // md declared both as default and as md:.
  'keycloak.xml': [{ expect: {
    entityId: 'http://localhost:8085/realms/master', ...same('http://localhost:8085/realms/master/protocol/saml'),
    notAfter: ['2034-05-20T20:48:49.000Z'], expired: [false],
    nameIdFormats: ['persistent', 'transient', 'unspecified', 'emailAddress'], wantAuthnRequestsSigned: true,
  } }],
  // Two signing keys, plus an encryption one.
  'shibboleth-samltest-id.xml': [{ expect: {
    entityId: 'https://samltest.id/saml/idp',
    redirect: 'https://samltest.id/idp/profile/SAML2/Redirect/SSO', post: 'https://samltest.id/idp/profile/SAML2/POST/SSO',
    notAfter: ['2038-08-24T21:14:10.000Z', '2038-08-24T21:14:09.000Z'], expired: [false, false], ...none,
    validUntil: '2100-01-01T00:00:42.000Z',
  } }],
  // An aggregate with one IdP and one SP: the IdP is the only choice. KeyDescriptor without `use`.
  'shibboleth-testshib-providers.xml': [
    { expect: {
      entityId: 'https://idp.testshib.org/idp/shibboleth',
      redirect: 'https://idp.testshib.org/idp/profile/SAML2/Redirect/SSO', post: 'https://idp.testshib.org/idp/profile/SAML2/POST/SSO',
      notAfter: ['2036-08-23T21:20:54.000Z'], expired: [false], ...none, nameIdFormats: ['nameIdentifier', 'transient'],
    } },
    { entityId: 'https://sp.testshib.org/shibboleth-sp', expect: 'no_idp' },
  ],
  // HTTP-Redirect only; the same certificate for signing and encryption.
  'simplesamlphp.xml': [{ expect: {
    entityId: 'http://192.168.99.100:8080/simplesaml/saml2/idp/metadata.php',
    redirect: 'http://192.168.99.100:8080/simplesaml/saml2/idp/SSOService.php',
    notAfter: ['2048-06-25T14:34:47.000Z'], expired: [false], ...none, nameIdFormats: ['transient'],
  } }],
  // validUntil long passed: returned, not refused (the caller decides).
  'aggregate-rctsaai-signed.xml': [
    { expect: 'several_idps' },
    { entityId: 'https://si-saai.ualg.pt/idp/shibboleth', expect: {
      entityId: 'https://si-saai.ualg.pt/idp/shibboleth',
      redirect: 'https://si-saai.ualg.pt/idp/profile/SAML2/Redirect/SSO', post: 'https://si-saai.ualg.pt/idp/profile/SAML2/POST/SSO',
      notAfter: ['2036-02-01T09:14:04.000Z'], expired: [false], ...none, nameIdFormats: ['nameIdentifier', 'transient'],
      validUntil: '2017-04-22T12:17:22.000Z',
    } },
    { entityId: 'https://idp.fccn.pt/idp/shibboleth', expect: {
      entityId: 'https://idp.fccn.pt/idp/shibboleth',
      redirect: 'https://idp.fccn.pt/idp/profile/SAML2/Redirect/SSO', post: 'https://idp.fccn.pt/idp/profile/SAML2/POST/SSO',
      notAfter: ['2031-12-15T15:39:11.000Z'], expired: [false], ...none, nameIdFormats: ['nameIdentifier', 'transient'],
      validUntil: '2017-04-22T12:17:22.000Z',
    } },
    { entityId: 'https://webtut.fccn.pt', expect: 'no_idp' },
    { entityId: 'https://idp.example.org/idp/shibboleth', expect: 'entity_not_found' },
  ],
  // 35 IdPs: 32 speak SAML 2.0 (the choices), 3 only SAML 1.x; 4 of the 32 publish no X509Certificate.
  'aggregate-switchaai-test-signed.xml': [
    { expect: 'several_idps' },
    { entityId: 'https://aai-logon.test.vho-switchaai.ch/idp/shibboleth', expect: { // the one unexpired certificate
      entityId: 'https://aai-logon.test.vho-switchaai.ch/idp/shibboleth',
      redirect: 'https://aai-logon.test.vho-switchaai.ch/idp/profile/SAML2/Redirect/SSO',
      post: 'https://aai-logon.test.vho-switchaai.ch/idp/profile/SAML2/POST/SSO',
      notAfter: ['2029-03-10T15:13:41.000Z'], expired: [false], ...none, nameIdFormats: ['nameIdentifier', 'transient', 'persistent'],
      validUntil: '2036-02-10T09:59:21.000Z',
    } },
    { entityId: 'http://shibvm8.et-test.psu.edu', expect: { // the oldest certificate
      entityId: 'http://shibvm8.et-test.psu.edu',
      redirect: 'http://shibvm8.et-test.psu.edu:8080/idp/profile/SAML2/Redirect/SSO',
      post: 'http://shibvm8.et-test.psu.edu:8080/idp/profile/SAML2/POST/SSO',
      notAfter: ['2008-09-10T20:40:16.000Z'], expired: [true], ...none, nameIdFormats: ['nameIdentifier', 'transient'],
      validUntil: '2036-02-10T09:59:21.000Z',
    } },
    { entityId: 'https://aai-login-test.ethz.ch/idp/shibboleth', expect: 'no_signing_certificate' }, // ds:KeyName only
    { entityId: 'gs4gt.awi.de', expect: 'no_idp' }, // SAML 1.x only
    { entityId: 'https://nowhere.example/idp', expect: 'entity_not_found' },
  ],
  // Prefixes ns0: (md) and ns2: (ds).
  'pysaml2-idp-ns0-prefixes.xml': [{ expect: {
    entityId: 'https://localhost:8088/idp.xml', redirect: 'https://localhost:8088/sso/redirect', post: 'https://localhost:8088/sso/post',
    notAfter: ['2010-10-26T13:31:15.000Z'], expired: [true], ...none, nameIdFormats: ['transient', 'persistent'],
  } }],
  'secureworks-post-only.xml': [{ expect: {
    entityId: 'https://idp.secureworks.com/SAML2', post: 'https://idp.secureworks.com/SAML2/SSO/POST',
    notAfter: ['2018-05-11T11:12:37.000Z'], expired: [true], ...none, nameIdFormats: ['transient'],
  } }],
  // Decision: accepted. KeyInfo/X509Certificate sit in the md namespace (no xmldsig element at all), so
  // a namespace-correct reader finds none; the importer then reads X509Certificate by local name, but
  // only inside the IdP's own KeyDescriptor (see signingCertificateTexts). Refusing would leave the
  // admin with "no signing certificate" for a file that visibly has two. The encryption cert is skipped.
  'samlify-rollingcert-md-namespace-keyinfo.xml': [{ expect: {
    entityId: 'https://idp.example.com/metadata', ...same('https://idp.example.org/sso/SingleSignOnService'),
    notAfter: ['2018-07-04T18:02:27.000Z', '2030-05-08T15:26:23.000Z'], expired: [true, false],
    nameIdFormats: ['persistent', 'emailAddress', 'transient', 'entity', 'unspecified', 'kerberos', 'WindowsDomainQualifiedName', 'X509SubjectName'],
    wantAuthnRequestsSigned: true,
  } }],
};

describe('parseIdpMetadata: the real-world corpus', () => {
  it('covers every file of the corpus', () => {
    const files = fs.readdirSync(FIXTURES).filter((file) => file.endsWith('.xml')).sort();
    expect(Object.keys(CORPUS).sort()).toEqual(files);
  });

  for (const [file, cases] of Object.entries(CORPUS)) {
    for (const { entityId, expect: expected } of cases) {
      it(`${file}${entityId ? ` with entityId ${entityId}` : ''} -> ${typeof expected === 'string' ? expected : 'imported'}`, () => {
        expect(outcome(read(file), entityId)).toEqual(expected);
      });
    }
  }

  it('several_idps lists a few entity ids in the message and all of them on the error', () => {
    const error = catchError(() => parseIdpMetadata(read('aggregate-switchaai-test-signed.xml'), { now: NOW }));
    expect(error.code).toBe('several_idps');
    expect(error.status).toBe(422);
    expect(error.message).toContain('32 identity providers');
    expect(error.message).toContain('"https://testidp.unifr.ch/idp/shibboleth"');
    expect(error.message).toContain('and 27 more');
    expect(error.entityIds).toHaveLength(32);
    expect(error.entityIds).not.toContain('gs4gt.awi.de');
  });

  it('returns certificates as openssl reads them, deduplicated', () => {
    const [okta] = parseIdpMetadata(read('okta.xml'), { now: NOW }).certificates;
    expect(okta).toMatchObject({
      fingerprintSha256: '21:D5:E6:FF:D3:60:7D:88:BD:8E:EE:5F:97:9F:CB:E9:C3:A3:08:BF:E8:E4:42:A4:41:36:AB:60:B9:21:6B:CF',
      notBefore: '2024-04-25T20:30:02.000Z',
      notAfter: '2034-04-25T20:31:02.000Z',
      subject: 'C=US, ST=California, L=San Francisco, O=Okta, OU=SSOProvider, CN=trial-1022863, emailAddress=info@okta.com',
      expired: false,
    });
    expect(okta!.issuer).toBe(okta!.subject);
    expect(okta!.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/);
    // Samltest's two signing keys share a CN but are different certificates.
    const [front, back] = parseIdpMetadata(read('shibboleth-samltest-id.xml'), { now: NOW }).certificates;
    expect(front!.fingerprintSha256).not.toBe(back!.fingerprintSha256);
  });

  it('marks a certificate expired only after its notAfter instant', () => {
    const xml = read('entra-id.xml');
    const at = (iso: string) => parseIdpMetadata(xml, { now: new Date(iso) }).certificates[0]!.expired;
    expect(at('2026-11-16T20:41:29.000Z')).toBe(false);
    expect(at('2026-11-16T20:41:29.001Z')).toBe(true);
  });
});

const OKTA = read('okta.xml');
const OKTA_CERT = /<ds:X509Certificate>([^<]+)</.exec(OKTA)![1]!;
const SP_ONLY = `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://app.example.com/sp">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://app.example.com/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`;

describe('parseIdpMetadata: broken input (each a one-change variant of okta.xml where possible)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('names an HTML page as such', () => {
    const error = refusedBeforeParsing('<!DOCTYPE html><html><body>Sign in</body></html>', 'doctype_refused');
    expect(error.message).toContain('web page');
  });

  it('refuses what is not XML', () => {
    expect(refusedBeforeParsing('hello', 'not_xml').message).toContain('not an XML document');
    expect(refusedBeforeParsing('{"issuer":"https://idp.example.com"}', 'not_xml').message).toContain('JSON');
    refusedBeforeParsing('', 'not_xml');
    expect(catchError(() => parseIdpMetadata(OKTA.slice(0, 600), { now: NOW })).code).toBe('not_xml'); // truncated
    expect(catchError(() => parseIdpMetadata('<md:EntityDescriptor entityID="x"/>', { now: NOW })).code).toBe('not_xml'); // undeclared prefix
    const unquoted = OKTA.replace('use="signing"', 'use=signing');
    expect(catchError(() => parseIdpMetadata(unquoted, { now: NOW })).code).toBe('not_xml'); // xmldom would only warn
  });

  it('refuses XML that is not SAML 2.0 metadata', () => {
    const wrongNamespace = OKTA.replace('xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"', 'xmlns:md="urn:example:metadata"');
    expect(catchError(() => parseIdpMetadata(wrongNamespace, { now: NOW })).code).toBe('not_saml_metadata');
    expect(catchError(() => parseIdpMetadata('<html><body/></html>', { now: NOW })).code).toBe('not_saml_metadata');
    const noEntityId = OKTA.replace('entityID="http://www.okta.com/exkdoocxa1VmjpXmX697"', '');
    expect(catchError(() => parseIdpMetadata(noEntityId, { now: NOW })).code).toBe('not_saml_metadata');
  });

  it('refuses an SP-only document with a message that says so', () => {
    const error = catchError(() => parseIdpMetadata(SP_ONLY, { now: NOW }));
    expect(error.code).toBe('no_idp');
    expect(error.message).toContain('service provider');
  });

  it('refuses an entityId option that names another entity', () => {
    const error = catchError(() => parseIdpMetadata(OKTA, { now: NOW, entityId: 'http://www.okta.com/other' }));
    expect(error.code).toBe('entity_not_found');
    expect(error.message).toContain('http://www.okta.com/exkdoocxa1VmjpXmX697');
  });

  it('refuses metadata without an HTTP-Redirect or HTTP-POST SSO URL', () => {
    const soapOnly = OKTA.replaceAll(/bindings:HTTP-(POST|Redirect)/g, 'bindings:SOAP');
    expect(catchError(() => parseIdpMetadata(soapOnly, { now: NOW })).code).toBe('no_sso_url');
    const script = OKTA.replaceAll(/Location="[^"]*\/sso\/saml"/g, 'Location="javascript:alert(1)"');
    expect(catchError(() => parseIdpMetadata(script, { now: NOW })).message).toContain('javascript:alert(1)');
  });

  it('refuses metadata whose only certificate is for encryption', () => {
    const encryption = OKTA.replace('use="signing"', 'use="encryption"');
    expect(catchError(() => parseIdpMetadata(encryption, { now: NOW })).code).toBe('no_signing_certificate');
  });

  it('counts a certificate repeated in another KeyDescriptor (no use) once', () => {
    const keyDescriptor = /<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/.exec(OKTA)![0];
    const twice = OKTA.replace(keyDescriptor, keyDescriptor + keyDescriptor.replace(' use="signing"', ''));
    expect(parseIdpMetadata(twice, { now: NOW }).certificates).toHaveLength(1);
  });

  it('refuses a truncated certificate, naming the identity provider', () => {
    const truncated = OKTA.replace(OKTA_CERT, OKTA_CERT.slice(0, 400));
    const error = catchError(() => parseIdpMetadata(truncated, { now: NOW }));
    expect(error.code).toBe('bad_certificate');
    expect(error.message).toContain('http://www.okta.com/exkdoocxa1VmjpXmX697');
  });
});

describe('certificateInfo: a certificate entered by hand', () => {
  const fromMetadata = parseIdpMetadata(OKTA, { now: NOW }).certificates[0]!;
  const pem = `-----BEGIN CERTIFICATE-----\n${OKTA_CERT.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

  it('reads PEM, CRLF PEM and bare base64 alike', () => {
    expect(certificateInfo(pem, NOW)).toEqual(fromMetadata);
    expect(certificateInfo(`\r\n  ${pem.replaceAll('\n', '\r\n')}`, NOW)).toEqual(fromMetadata);
    expect(certificateInfo(OKTA_CERT.replace(/(.{76})/g, '$1 '), NOW)).toEqual(fromMetadata);
  });

  it('reports expiry against the given clock', () => {
    expect(certificateInfo(pem, new Date('2034-04-25T20:31:03Z')).expired).toBe(true);
  });

  const refusals: Array<[string, string, RegExp]> = [
    ['a private key', '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----', /private key/],
    ['an RSA private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----', /private key/],
    ['a public key', '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----', /found -----BEGIN PUBLIC KEY-----/],
    ['two certificates', pem + pem, /one certificate at a time/],
    ['not base64', 'not a certificate!', /not valid base64/],
    ['empty', '   ', /empty/],
    ['truncated', OKTA_CERT.slice(0, 400), /could not be read/],
    ['trailing data', Buffer.concat([Buffer.from(OKTA_CERT, 'base64'), Buffer.from('extra')]).toString('base64'), /extra data/],
  ];
  for (const [name, input, message] of refusals) {
    it(`refuses ${name} with bad_certificate`, () => {
      const error = catchError(() => certificateInfo(input, NOW));
      expect(error.code).toBe('bad_certificate');
      expect(error.message).toMatch(message);
    });
  }
});
