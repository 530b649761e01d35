import { webcrypto } from 'node:crypto';

/** @peculiar/x509, loaded on first use (it is only needed to create keys, and costs ~0.4 s to load). */
async function loadX509() {
  // It resolves its ASN.1 providers through tsyringe, which needs the Reflect metadata API.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as typeof globalThis.crypto);
  return x509;
}

const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

/**
 * A new RSA 2048 key and a self-signed X.509 certificate for it (SHA-256), as PEM. SAML trusts the
 * certificate itself (it is pinned in metadata), not a CA, so self-signed is what every SP publishes.
 */
export async function selfSignedCertificate(options: { commonName: string; notBefore: Date; notAfter: Date }): Promise<{ privateKeyPem: string; certificatePem: string }> {
  const x509 = await loadX509();
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${options.commonName.replace(/[,+="\\<>;#]/g, ' ')}`,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { privateKeyPem, certificatePem: certificate.toString('pem') + '\n' };
}
