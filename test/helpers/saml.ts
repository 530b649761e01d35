import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { buildSamlResponse, encodeSamlResponse, type SamlResponseOptions } from '../../src/sso/simulator/saml-response.ts';

/** Test IdP key material (fixtures/saml/README.md). */
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/saml/${name}`, import.meta.url), 'utf8');
export const IDP = {
  entityId: 'https://idp.acme.test/saml/metadata',
  ssoUrl: 'https://idp.acme.test/saml/sso',
  key: fixture('idp-signing.key'),
  certificate: fixture('idp-signing.crt'),
  rotatedKey: fixture('idp-rotated.key'),
  rotatedCertificate: fixture('idp-rotated.crt'),
};

/** The connection's SP values a response must name. */
export interface SpValues {
  entityId: string;
  acsUrl: string;
}

export type ResponseOverrides = Partial<Omit<SamlResponseOptions, 'signing'>> & { signing?: Partial<SamlResponseOptions['signing']> };

/** A signed (assertion-signed, SHA-256) SAML Response for `sp`, one change away from any bad variant. */
export async function samlResponseXml(sp: SpValues, person: { email: string; firstName?: string; lastName?: string; groups?: string[] }, overrides: ResponseOverrides = {}): Promise<string> {
  const { signing, ...rest } = overrides;
  return buildSamlResponse({
    issuer: IDP.entityId,
    destination: sp.acsUrl,
    audience: sp.entityId,
    recipient: sp.acsUrl,
    nameId: person.email,
    attributes: {
      email: person.email,
      ...(person.firstName ? { firstName: person.firstName } : {}),
      ...(person.lastName ? { lastName: person.lastName } : {}),
      ...(person.groups ? { groups: person.groups } : {}),
    },
    now: new Date(),
    ...rest,
    signing: { privateKeyPem: IDP.key, certificatePem: IDP.certificate, sign: 'assertion', ...signing },
  });
}

export async function samlResponse(sp: SpValues, person: Parameters<typeof samlResponseXml>[1], overrides: ResponseOverrides = {}): Promise<string> {
  return encodeSamlResponse(await samlResponseXml(sp, person, overrides));
}

/** Reads the AuthnRequest Gatehouse sent over HTTP-Redirect: its XML, ID, and the RelayState. */
export function readRedirectRequest(location: string): { xml: string; id: string; relayState: string; url: URL } {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const id = /\bID="([^"]+)"/.exec(xml)?.[1] ?? '';
  return { xml, id, relayState: url.searchParams.get('RelayState') ?? '', url };
}
