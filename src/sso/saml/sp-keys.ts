import { DAY_MS, type Clock } from '../../clock.ts';
import { newId } from '../../crypto/ids.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import { selfSignedCertificate } from '../../crypto/self-signed.ts';
import type { Db, Executor } from '../../db/database.ts';

/**
 * Gatehouse's SAML SP keys: one to sign AuthnRequests, one IdPs encrypt assertions to. After a rotation
 * the old key stays published in SP metadata (and usable for decryption) for an overlap, so IdPs that
 * re-read metadata on a schedule pick up the new one without a failed sign-in.
 */
export const SP_KEY_OVERLAP_MS = 30 * DAY_MS;
const CERTIFICATE_LIFETIME_MS = 10 * 365 * DAY_MS;
const USES = ['signing', 'encryption'] as const;
export type SpKeyUse = (typeof USES)[number];

export interface SpKey {
  id: string;
  use: SpKeyUse;
  privateKeyPem: string;
  certificatePem: string;
  /** False for a retired key kept for the overlap. */
  current: boolean;
}

async function insertKey(db: Executor, clock: Clock, box: SecretBox, use: SpKeyUse): Promise<string> {
  const now = clock.now();
  const id = newId('spk');
  const { privateKeyPem, certificatePem } = await selfSignedCertificate({
    commonName: `Gatehouse SAML ${use}`,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + CERTIFICATE_LIFETIME_MS),
  });
  await db
    .insertInto('saml_sp_keys')
    .values({
      id, use, private_key_sealed: box.seal(privateKeyPem, `saml-sp-key:${id}`), certificate_pem: certificatePem,
      not_after: new Date(now.getTime() + CERTIFICATE_LIFETIME_MS).toISOString(), created_at: now.toISOString(), retired_at: null, unpublish_after: null,
    })
    .execute();
  return id;
}

/** At first start: one signing and one encryption key. */
export async function ensureSpKeys(db: Executor, clock: Clock, box: SecretBox): Promise<void> {
  for (const use of USES) {
    const current = await db.selectFrom('saml_sp_keys').select('id').where('use', '=', use).where('retired_at', 'is', null).executeTakeFirst();
    if (!current) await insertKey(db, clock, box, use);
  }
}

/** New keys for both uses; the old ones stay published and usable for SP_KEY_OVERLAP_MS. */
export async function rotateSpKeys(db: Executor, clock: Clock, box: SecretBox): Promise<{ added: string[]; retired: string[]; unpublishAfter: string }> {
  const now = clock.now();
  const unpublishAfter = new Date(now.getTime() + SP_KEY_OVERLAP_MS).toISOString();
  const current = await db.selectFrom('saml_sp_keys').select('id').where('retired_at', 'is', null).execute();
  await db.updateTable('saml_sp_keys').set({ retired_at: now.toISOString(), unpublish_after: unpublishAfter }).where('retired_at', 'is', null).execute();
  const added: string[] = [];
  for (const use of USES) added.push(await insertKey(db, clock, box, use));
  return { added, retired: current.map((k) => k.id), unpublishAfter };
}

/**
 * The keys in use, current first, then retired ones still in their overlap. The first SAML request or
 * metadata download creates them (a deployment without SAML never pays for two RSA key generations).
 */
export async function loadSpKeys(db: Db, clock: Clock, box: SecretBox): Promise<{ signing: SpKey[]; encryption: SpKey[] }> {
  const keys = await readSpKeys(db, clock, box);
  if (keys.signing.some((k) => k.current) && keys.encryption.some((k) => k.current)) return keys;
  // Transactions run one at a time on the connection and ensureSpKeys re-checks: two first requests create one set.
  await db.transaction().execute((trx) => ensureSpKeys(trx, clock, box));
  return readSpKeys(db, clock, box);
}

async function readSpKeys(db: Executor, clock: Clock, box: SecretBox): Promise<{ signing: SpKey[]; encryption: SpKey[] }> {
  const rows = await db
    .selectFrom('saml_sp_keys')
    .selectAll()
    .where((eb) => eb.or([eb('unpublish_after', 'is', null), eb('unpublish_after', '>', clock.now().toISOString())]))
    .orderBy('created_at', 'desc')
    .execute();
  const keys = rows
    .sort((a, b) => Number(a.retired_at !== null) - Number(b.retired_at !== null))
    .map((row): SpKey => ({ id: row.id, use: row.use, privateKeyPem: box.open(row.private_key_sealed, `saml-sp-key:${row.id}`), certificatePem: row.certificate_pem, current: row.retired_at === null }));
  return { signing: keys.filter((k) => k.use === 'signing'), encryption: keys.filter((k) => k.use === 'encryption') };
}
