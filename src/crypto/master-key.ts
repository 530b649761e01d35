import { hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';

export const SECRET_FILE = 'secret.key';

/** A 32-byte key for one purpose (`info`), derived from the master key so purposes never share a key. */
export function deriveKey(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, 'gatehouse', info, 32));
}

/**
 * The master key: GATEHOUSE_SECRET when set, else `$DATA_DIR/secret.key`, generated (0600) on first
 * start. The key used for encryption is derived with HKDF so the raw secret never keys AES directly.
 */
export function loadMasterKey(config: Config): { key: Buffer; source: 'env' | 'file' | 'generated' } {
  let secret = config.secret;
  let source: 'env' | 'file' | 'generated' = 'env';
  if (secret === undefined) {
    const file = path.join(config.dataDir, SECRET_FILE);
    if (fs.existsSync(file)) {
      secret = fs.readFileSync(file, 'utf8').trim();
      source = 'file';
    } else {
      fs.mkdirSync(config.dataDir, { recursive: true });
      secret = randomBytes(32).toString('base64url');
      // 'wx' fails if another process created it meanwhile: never overwrite an existing key.
      fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      source = 'generated';
    }
  }
  const key = Buffer.from(hkdfSync('sha256', secret, 'gatehouse', 'gatehouse secret box v1', 32));
  return { key, source };
}
