import { encrypt, type EncryptOptions } from 'xml-encryption';

const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';

/**
 * Wraps an assertion (signed or not) in `<saml:EncryptedAssertion>` (saml-core §2.3.4), as an IdP does for
 * an SP that published an encryption certificate. The assertion must declare its own `saml` namespace:
 * the SP decrypts it into a document of its own.
 *
 * Content: AES-256-GCM (xmlenc-core1 §5.2.4), which node-saml 5 (through xml-encryption 3) decrypts; CBC
 * is what padding-oracle attacks on XML Encryption target. Key transport: rsa-oaep-mgf1p, whose URI fixes
 * SHA-1 for both the OAEP digest and MGF1 (xmlenc-core §5.4.2); that is not a signature use of SHA-1.
 */
export async function encryptAssertion(assertionXml: string, certificatePem: string): Promise<string> {
  const options: EncryptOptions = {
    // Node reads the RSA public key straight out of the certificate.
    rsa_pub: certificatePem,
    // Written as the EncryptedKey's KeyInfo, so an SP with several keys knows which one to use.
    pem: certificatePem,
    encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
    keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
    disallowEncryptionWithInsecureAlgorithm: true,
  };
  const encryptedData = await new Promise<string>((resolve, reject) => {
    // @types/xml-encryption types the error as always present; it is null on success.
    encrypt(assertionXml, options, (error: Error | null, result: string) => (error ? reject(error) : resolve(result)));
  });
  // xml-encryption's template is indented. Its only text is base64 without spaces, so whitespace between
  // tags is layout alone and goes, leaving one line like the rest of the Response.
  const compact = encryptedData.trim().replace(/>\s+</g, '><');
  return `<saml:EncryptedAssertion xmlns:saml="${ASSERTION_NS}">${compact}</saml:EncryptedAssertion>`;
}
