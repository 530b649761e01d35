import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { selfSignedCertificate } from '../../crypto/self-signed.ts';

/** In the data directory: the simulator's private key and certificate, PEM, one after the other. */
export const SIMULATOR_KEY_FILE = 'simulator-idp.pem';
const COMMON_NAME = 'Gatehouse IdP simulator';
const VALIDITY_MS = 10 * 365 * 24 * 60 * 60 * 1000;

export interface SimulatorKey {
  privateKeyPem: string;
  certificatePem: string;
}

/**
 * The simulator's signing key, made once and kept in `${dataDir}/simulator-idp.pem` (0600): connections
 * trust its certificate, so a restart must not change it. Two processes starting at once both generate
 * a key, but only the first file written (O_EXCL) is kept and both use it.
 */
export async function loadSimulatorKey(dataDir: string, now: Date): Promise<SimulatorKey> {
  const file = path.join(dataDir, SIMULATOR_KEY_FILE);
  const existing = readKeyFile(file);
  if (existing) return existing;
  // An hour back, so a response signed at once verifies on a machine whose clock is a little behind.
  const fresh = await selfSignedCertificate({ commonName: COMMON_NAME, notBefore: new Date(now.getTime() - 3_600_000), notAfter: new Date(now.getTime() + VALIDITY_MS) });
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, fresh.privateKeyPem + fresh.certificatePem, { mode: 0o600, flag: 'wx' });
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readKeyFile(file)!;
  }
}

function readKeyFile(file: string): SimulatorKey | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const privateKeyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(text)?.[0];
  const certificatePem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(text)?.[0];
  // Never replaced silently: connections trust this certificate, and a new key would break them all.
  const broken = `${file} is not a private key and certificate of the IdP simulator; delete it to make a new one (connections trusting the old certificate then need the new one).`;
  if (!privateKeyPem || !certificatePem) throw new Error(broken);
  try {
    if (!new X509Certificate(certificatePem).checkPrivateKey(createPrivateKey(privateKeyPem))) throw new Error('the key does not match the certificate');
  } catch (cause) {
    throw new Error(broken, { cause });
  }
  return { privateKeyPem, certificatePem };
}
