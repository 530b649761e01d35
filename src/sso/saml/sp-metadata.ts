import type { SpKey } from './sp-keys.ts';
import { samlEndpoints } from './sp-endpoints.ts';

const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const bare = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

/**
 * Gatehouse's SP metadata for one connection: entity id, ACS (HTTP-POST), the signing certificate(s)
 * AuthnRequests are signed with and the encryption certificate(s) IdPs may encrypt assertions to. During
 * a key rotation's overlap both the new and the old certificates are published (DESIGN.md Security rules).
 */
export function spMetadataXml(baseUrl: string, connectionId: string, keys: { signing: SpKey[]; encryption: SpKey[] }): string {
  const sp = samlEndpoints(baseUrl, connectionId);
  const keyDescriptor = (use: 'signing' | 'encryption', key: SpKey) =>
    `    <md:KeyDescriptor use="${use}">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${bare(key.certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>${
        use === 'encryption'
          ? `
      <md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes128-gcm"/>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>`
          : ''
      }
    </md:KeyDescriptor>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${escape(sp.entityId)}">
  <md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
${[...keys.signing.map((k) => keyDescriptor('signing', k)), ...keys.encryption.map((k) => keyDescriptor('encryption', k))].join('\n')}
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${escape(sp.acsUrl)}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
`;
}
